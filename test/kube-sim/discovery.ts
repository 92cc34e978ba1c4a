import { apiGroups, apiResourceList } from './resources';

/** Answers for the discovery endpoints, or undefined when the path is not one of them. */
export function discovery(path: string, serverAddress: string): object | undefined {
  if (path === '/version') {
    return {
      major: '1', minor: '33', gitVersion: 'v1.33.0-kube-sim', gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.24.0', compiler: 'gc', platform: 'linux/amd64',
    };
  }
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }
  if (path === '/api/v1') return apiResourceList('v1');
  const groups = apiGroups();
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  const group = m && groups.find((g) => g.name === m[1]);
  if (!group) return undefined;
  if (!m![2]) return { kind: 'APIGroup', apiVersion: 'v1', ...group };
  if (!group.versions.some((v) => v.version === m![2])) return undefined;
  return apiResourceList(`${group.name}/${m![2]}`);
}
