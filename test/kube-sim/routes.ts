import { findType, type ResourceType } from './resources';

export type Route =
  | { kind: 'discovery'; path: string }
  | { kind: 'resource'; type: ResourceType; namespace?: string; name?: string; subresource?: string; watchPath: boolean }
  | { kind: 'unknown' };

/**
 * Map a URL path to what it addresses, following the apiserver's layout:
 *   /api/v1[/watch]/namespaces/{ns}/{resource}[/{name}[/{sub}]]
 *   /api/v1[/watch]/{resource}[/{name}[/{sub}]]           (cluster-scoped, or all namespaces)
 *   /apis/{group}/{version}/… the same
 */
export function route(pathname: string): Route {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    [group, version, rest] = ['', segs[1], segs.slice(2)];
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
  } else {
    return { kind: 'discovery', path: '/' + segs.join('/') };
  }
  if (rest.length === 0) return { kind: 'discovery', path: '/' + segs.join('/') };
  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);

  let namespace: string | undefined;
  // "namespaces/x/status" is the Namespace's own subresource; "namespaces/x/<res>…" is scoping.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && ['status', 'finalize'].includes(rest[2]))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const type = findType(group, version, rest[0]);
  if (!type || rest.length > 3) return { kind: 'unknown' };
  if (namespace !== undefined && !type.namespaced) return { kind: 'unknown' };
  if (namespace === undefined && type.namespaced && rest.length > 1) return { kind: 'unknown' };
  return { kind: 'resource', type, namespace, name: rest[1], subresource: rest[2], watchPath };
}
