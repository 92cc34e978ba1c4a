import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadKubeConfig } from '../kubeconfig-loader';
import { ClientNodeCredentials } from './client-node-credentials';
import { KubeConfigError } from './kubeconfig-error';
import { readKubeConfigFiles, selectContext } from './kubeconfig-file';
import { StaticCredentials } from './static-credentials';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

function write(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const config = (server: string, user: string, extra = '') => `
apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c
  cluster: { server: "${server}" }
contexts:
- name: main
  context: { cluster: c, user: u, namespace: ns-${user} }
- name: other
  context: { cluster: c, user: u2 }
users:
- name: u
  user: { token: "${user}" }
${extra}`;

describe('readKubeConfigFiles + selectContext', () => {
  it('merges like client-go: the first file that defines a name or current-context wins', () => {
    const a = write('a.yaml', config('https://a.example', 'token-a'));
    const b = write(
      'b.yaml',
      `${config('https://b.example', 'token-b')}- name: u2\n  user: { token: t2 }\n`,
    );
    const merged = readKubeConfigFiles([a, b], 'KUBECONFIG');
    const main = selectContext(merged, 'KUBECONFIG');
    expect(main).toMatchObject({
      contextName: 'main',
      cluster: { server: 'https://a.example' },
      user: { token: 'token-a' },
      namespace: 'ns-token-a',
    });
    expect(selectContext(merged, 'KUBECONFIG', 'other').user).toEqual({ token: 't2' });
  });

  it('resolves relative file paths against the directory of the file that names them', () => {
    const file = write(
      'nested/dir/rel.yaml',
      `
current-context: x
clusters: [{ name: c, cluster: { server: "https://x", certificate-authority: ca.crt } }]
users: [{ name: u, user: { client-certificate: ../c.crt, client-key: /abs/k.key, tokenFile: tok } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
`,
    );
    const selected = selectContext(readKubeConfigFiles([file], '--kubeconfig'), '--kubeconfig');
    expect(selected.cluster['certificate-authority']).toBe(join(dir, 'nested/dir/ca.crt'));
    expect(selected.user['client-certificate']).toBe(join(dir, 'nested/c.crt'));
    expect(selected.user['client-key']).toBe('/abs/k.key');
    expect(selected.user.tokenFile).toBe(join(dir, 'nested/dir/tok'));
  });

  it.each([
    [
      'bad-yaml.yaml',
      'clusters: [unclosed',
      /--kubeconfig: cannot load kubeconfig .*bad-yaml.yaml/,
    ],
    ['list.yaml', '- just a list', /is not a kubeconfig mapping/],
    ['no-current.yaml', 'clusters: []', /no current-context set/],
    ['no-ctx.yaml', 'current-context: gone', /context "gone" not found/],
    [
      'no-cluster.yaml',
      'current-context: x\ncontexts: [{ name: x, context: { cluster: nope } }]',
      /names cluster "nope", which is not defined/,
    ],
    [
      'no-user.yaml',
      'current-context: x\nclusters: [{ name: c, cluster: {} }]\ncontexts: [{ name: x, context: { cluster: c, user: ghost } }]',
      /names user "ghost"/,
    ],
    [
      'nameless.yaml',
      'current-context: x\nclusters: [{ cluster: {} }]',
      /every entry of clusters needs a name/,
    ],
  ])('%s is refused with a clear KubeConfigError', (name, text, message) => {
    const file = write(name, text);
    const load = () => selectContext(readKubeConfigFiles([file], '--kubeconfig'), '--kubeconfig');
    expect(load).toThrow(KubeConfigError);
    expect(load).toThrow(message);
  });
});

describe('loadKubeConfig picks the credentials implementation', () => {
  it('keeps token, certificate and basic-auth users native, and sends exec/auth-provider/proxy users to client-node', () => {
    const native = write('native.yaml', config('https://n.example/', 'tok'));
    const loaded = loadKubeConfig({ kubeconfig: native });
    expect(loaded.credentials).toBeInstanceOf(StaticCredentials);
    expect(loaded.credentials.server).toBe('https://n.example');
    for (const user of ['{ exec: { command: x } }', '{ auth-provider: { name: oidc } }']) {
      const file = write(
        `plugin-${user.length}.yaml`,
        `current-context: x\nclusters: [{ name: c, cluster: { server: "https://p" } }]\nusers: [{ name: u, user: ${user} }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]`,
      );
      expect(loadKubeConfig({ kubeconfig: file }).credentials).toBeInstanceOf(
        ClientNodeCredentials,
      );
    }
    const proxied = write(
      'proxy.yaml',
      'current-context: x\nclusters: [{ name: c, cluster: { server: "https://p", proxy-url: "http://proxy:3128" } }]\ncontexts: [{ name: x, context: { cluster: c } }]',
    );
    expect(loadKubeConfig({ kubeconfig: proxied }).credentials).toBeInstanceOf(
      ClientNodeCredentials,
    );
  });

  it('refuses a server that is not an http(s) URL and an unreadable CA at start-up', () => {
    const ftp = write('ftp.yaml', config('ftp://x', 't'));
    expect(() => loadKubeConfig({ kubeconfig: ftp })).toThrow(
      /server "ftp:\/\/x" is not an http\(s\) URL/,
    );
    const noCa = write(
      'no-ca.yaml',
      'current-context: x\nclusters: [{ name: c, cluster: { server: "https://p", certificate-authority: /nonexistent/ca.crt } }]\ncontexts: [{ name: x, context: { cluster: c } }]',
    );
    expect(() => loadKubeConfig({ kubeconfig: noCa })).toThrow(
      /cannot read certificate-authority \/nonexistent\/ca.crt/,
    );
  });
});

describe('StaticCredentials', () => {
  const server = 'https://api.example';

  it('sends basic auth and impersonation headers, and TLS from inline data', async () => {
    const creds = StaticCredentials.fromEntries(
      server,
      undefined,
      {
        'certificate-authority-data': Buffer.from('CA').toString('base64'),
        'tls-server-name': 'kubernetes',
        'insecure-skip-tls-verify': true,
      },
      { username: 'admin', password: 'p:w', as: 'alice' },
      'test',
    );
    const auth = await creds.prepare();
    expect(auth.headers).toEqual({
      Authorization: `Basic ${Buffer.from('admin:p:w').toString('base64')}`,
      'Impersonate-User': 'alice',
    });
    expect(auth.tls).toEqual({
      ca: Buffer.from('CA'),
      servername: 'kubernetes',
      rejectUnauthorized: false,
    });
  });

  it('refuses half a client certificate', () => {
    expect(() =>
      StaticCredentials.fromEntries(
        server,
        undefined,
        {},
        { 'client-certificate-data': 'Y2VydA==' },
        'test',
      ),
    ).toThrow(/client-certificate without client-key/);
  });

  it('re-reads a rotating token file once a minute and keeps the last token through a failed read', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tokenFile = write('token', 'first\n');
    const creds = StaticCredentials.fromEntries(server, undefined, {}, { tokenFile }, 'test');
    expect((await creds.prepare()).headers.Authorization).toBe('Bearer first');
    writeFileSync(tokenFile, 'second');
    expect((await creds.prepare()).headers.Authorization).toBe('Bearer first');
    vi.advanceTimersByTime(61_000);
    expect((await creds.prepare()).headers.Authorization).toBe('Bearer second');
    rmSync(tokenFile);
    vi.advanceTimersByTime(61_000);
    expect((await creds.prepare()).headers.Authorization).toBe('Bearer second');
  });

  it('withBearerToken keeps the CA and server name but drops the client certificate and other headers', async () => {
    const creds = StaticCredentials.fromEntries(
      server,
      'ns',
      {
        'certificate-authority-data': Buffer.from('CA').toString('base64'),
        'tls-server-name': 'kubernetes',
      },
      {
        'client-certificate-data': 'Y2VydA==',
        'client-key-data': 'a2V5',
        token: 'admin',
        as: 'alice',
      },
      'test',
    );
    expect((await creds.prepare()).tls.cert).toEqual(Buffer.from('cert'));
    const pod = creds.withBearerToken('pod-token');
    expect([pod.server, pod.namespace]).toEqual([server, 'ns']);
    expect(await pod.prepare()).toEqual({
      headers: { Authorization: 'Bearer pod-token' },
      tls: { ca: Buffer.from('CA'), servername: 'kubernetes', rejectUnauthorized: undefined },
    });
  });
});
