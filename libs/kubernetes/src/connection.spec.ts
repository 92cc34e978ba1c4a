import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConnection } from './connection';
import { isNotFound } from './errors';
import { KubeConfigError } from './kubeconfig-loader';

interface Seen {
  authorization?: string;
  clientCertCN?: string;
  impersonate?: string;
}

/** An HTTPS stub that reports what credentials each request presented. */
let dir: string;
let server: https.Server;
let url: string;
let pem: { serverCert: string; serverKey: string; clientCert: string; clientKey: string };

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-conn-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=stub',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.crt',
  );
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=client-user',
    '-keyout',
    'client.key',
    '-out',
    'client.crt',
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  pem = {
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
  };
  server = https.createServer(
    { cert: pem.serverCert, key: pem.serverKey, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      const seen: Seen = {
        authorization: req.headers.authorization,
        clientCertCN: peer && peer.subject ? String(peer.subject.CN) : undefined,
        impersonate: req.headers['impersonate-user'] as string | undefined,
      };
      if (req.url?.startsWith('/hang')) return; // never answers
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'nope' }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(seen));
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

function writeKubeconfig(name: string, server: string, user: Record<string, unknown>): string {
  const userYaml = Object.entries(user)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${JSON.stringify(server)}
    certificate-authority-data: ${b64(pem.serverCert)}
contexts:
- name: ctx
  context: { cluster: c, user: u, namespace: team-a }
current-context: ctx
users:
- name: u
  user:
${userYaml}
`,
  );
  return file;
}

describe('KubeConnection.load', () => {
  it('prefers --kubeconfig over KUBECONFIG', () => {
    const flag = writeKubeconfig('flag.yaml', 'https://flag.example:6443', { token: 't' });
    const env = writeKubeconfig('env.yaml', 'https://env.example:6443', { token: 't' });
    const conn = KubeConnection.load({ kubeconfig: flag, env: { KUBECONFIG: env } });
    expect([conn.server, conn.source, conn.namespace]).toEqual([
      'https://flag.example:6443',
      'flag',
      'team-a',
    ]);
    expect(KubeConnection.load({ env: { KUBECONFIG: env } }).source).toBe('KUBECONFIG');
  });

  it('falls back to the in-cluster service account and reads its token file', async () => {
    const prefix = join(dir, 'pod');
    const sa = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'in-cluster-token');
    writeFileSync(join(sa, 'ca.crt'), pem.serverCert);
    writeFileSync(join(sa, 'namespace'), 'kube-system\n');
    const port = new URL(url).port;
    const conn = KubeConnection.load({
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
      inClusterPathPrefix: prefix,
    });
    expect([conn.source, conn.namespace]).toEqual(['in-cluster', 'kube-system']);
    expect((await conn.request<Seen>('GET', '/version')).authorization).toBe(
      'Bearer in-cluster-token',
    );
    conn.close();
  });

  it('explains what it tried when nothing is configured', () => {
    expect(() => KubeConnection.load({ env: {} })).toThrow(KubeConfigError);
    expect(() => KubeConnection.load({ env: {} })).toThrow(
      /--kubeconfig not given, KUBECONFIG not set, and not running in a cluster/,
    );
    expect(() => KubeConnection.load({ kubeconfig: join(dir, 'absent.yaml') })).toThrow(
      /--kubeconfig: kubeconfig file not found/,
    );
  });
});

describe('KubeConnection requests', () => {
  it('authenticates with the kubeconfig user (client cert + token) and parses Status errors', async () => {
    const file = writeKubeconfig('full.yaml', url, {
      'client-certificate-data': b64(pem.clientCert),
      'client-key-data': b64(pem.clientKey),
      token: 'admin-token',
      as: 'someone-else',
    });
    const conn = KubeConnection.load({ kubeconfig: file });
    const seen = await conn.request<Seen>('GET', '/version');
    expect(seen.authorization).toBe('Bearer admin-token');
    expect(seen.clientCertCN).toBe('client-user');
    expect(seen.impersonate).toBe('someone-else');
    const err = await conn.request('GET', '/missing').catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
    conn.close();
  });

  it('asBearerToken keeps the CA but sends only the given token (no client cert, no impersonation)', async () => {
    const file = writeKubeconfig('full2.yaml', url, {
      'client-certificate-data': b64(pem.clientCert),
      'client-key-data': b64(pem.clientKey),
      token: 'admin-token',
      as: 'someone-else',
    });
    const parent = KubeConnection.load({ kubeconfig: file });
    const pod = parent.asBearerToken('pod-sa-token');
    const seen = await pod.request<Seen>('GET', '/version');
    expect(seen).toEqual({ authorization: 'Bearer pod-sa-token' });
    expect(pod.server).toBe(parent.server);
    expect(pod.source).toBe('bearer-token');
    expect(JSON.stringify(pod)).not.toContain('pod-sa-token');
    expect(inspect(pod, { depth: 10 })).not.toContain('pod-sa-token');
    expect(() => parent.asBearerToken('')).toThrow(/non-empty/);
    expect(() => parent.asBearerToken('a\nInjected: x')).toThrow(/whitespace/);
    parent.close();
  });

  it('hands exec users to client-node, and a bearer connection derived from one sends only its token', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      status: { token: 'exec-token' },
    });
    const file = writeKubeconfig('exec.yaml', url, {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'sh',
        args: ['-c', `printf '%s' '${credential}'`],
        interactiveMode: 'Never',
      },
    });
    const conn = KubeConnection.load({ kubeconfig: file });
    expect((await conn.request<Seen>('GET', '/version')).authorization).toBe('Bearer exec-token');
    const pod = conn.asBearerToken('pod-sa-token');
    expect(await pod.request<Seen>('GET', '/version')).toEqual({
      authorization: 'Bearer pod-sa-token',
    });
    conn.close();
  });

  it('reports a failing exec plugin as AuthenticationFailed on the request, not at load', async () => {
    const file = writeKubeconfig('exec-fail.yaml', url, {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'false',
        interactiveMode: 'Never',
      },
    });
    const conn = KubeConnection.load({ kubeconfig: file });
    await expect(conn.request('GET', '/version')).rejects.toMatchObject({
      code: 0,
      reason: 'AuthenticationFailed',
    });
    conn.close();
  });

  it('gives up on a silent server after the request timeout, and tells a caller abort apart', async () => {
    const conn = KubeConnection.load({
      kubeconfig: writeKubeconfig('hang.yaml', url, { token: 't' }),
    });
    const started = Date.now();
    await expect(conn.request('GET', '/hang', { timeoutMs: 150 })).rejects.toMatchObject({
      code: 0,
      reason: 'Timeout',
      message: expect.stringMatching(/no response within 150 ms/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const caller = new AbortController();
    const aborted = conn.request('GET', '/hang', { timeoutMs: 10_000, signal: caller.signal });
    setTimeout(() => caller.abort(), 50);
    await expect(aborted).rejects.toMatchObject({ code: 0, reason: 'Aborted' });
    conn.close();
  });

  it('reports an unreachable server as code 0', async () => {
    const file = writeKubeconfig('dead.yaml', 'https://127.0.0.1:1', { token: 't' });
    const err = await KubeConnection.load({ kubeconfig: file })
      .request('GET', '/version')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 0, reason: 'ConnectionFailed' });
  });
});
