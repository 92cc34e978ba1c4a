// The per-volume SPIFFE Workload API end to end: the built driver (started as main.ts starts it),
// kube-sim and the CA issuer simulator, volumes published over CSI and read through read-only
// bind mounts, with a client that follows the spec. Certificates are judged with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitDer, WorkloadClient, type X509SvidMessage } from '../../apps/csi-driver/src/workload-api/testing/workload-client';
import { IS_ROOT, startStack, type Stack } from '../e2e/stack';
import { asUser, mountPodView, type PodView } from './pod-view';

const pem = (der: Buffer) => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;


/** openssl's verdict on the SVID: the chain verifies against the bundle served with it. */
function opensslVerify(svid: X509SvidMessage['svids'][0]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wl-verify-'));
  try {
    const [leaf, ...intermediates] = splitDer(svid.x509_svid);
    writeFileSync(join(dir, 'leaf.pem'), pem(leaf.raw));
    writeFileSync(join(dir, 'chain.pem'), intermediates.map((c) => pem(c.raw)).join('') || pem(leaf.raw));
    writeFileSync(join(dir, 'bundle.pem'), splitDer(svid.bundle).map((c) => pem(c.raw)).join(''));
    return execFileSync('openssl', ['verify', '-CAfile', join(dir, 'bundle.pem'), '-untrusted', join(dir, 'chain.pem'),
      join(dir, 'leaf.pem')], { encoding: 'utf8' }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const leafFingerprint = (der: Buffer) => splitDer(der)[0].fingerprint256;

describe.skipIf(!IS_ROOT)('SPIFFE Workload API per volume (built driver, real mounts)', () => {
  let stack: Stack;
  const views: PodView[] = [];
  const clients: WorkloadClient[] = [];
  const view = (targetPath: string) => {
    const v = mountPodView(targetPath);
    views.push(v);
    return v;
  };
  const client = (socket: string) => {
    const c = new WorkloadClient(socket);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    // 6 s certificates: renewal at ~4 s. A long kubelet root: real paths are over sun_path's 108 bytes.
    stack = await startStack({ certDurationMs: 6_000, kubeletRootName: `kubelet-${'r'.repeat(40)}` });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const v of views) v.release();
    await stack?.stop();
  });

  it('serves exactly the volume\'s SVID at the longest kubelet paths, pushes renewals, ends streams OK on unpublish', async () => {
    const a = stack.pod({ namespace: 'sandbox', serviceAccount: 'wl-a', volumeName: 'v'.repeat(63) });
    const b = stack.pod({ namespace: 'sandbox', serviceAccount: 'wl-b' });
    await stack.publish(a);
    await stack.publish(b);
    const dataSocket = join(stack.dataRoot, a.volumeId, 'data', 'workload.sock');
    expect(Buffer.byteLength(join(a.targetPath, 'workload.sock'))).toBeGreaterThan(108);
    expect(Buffer.byteLength(dataSocket)).toBeGreaterThan(108);

    const viewA = view(a.targetPath);
    expect(() => writeFileSync(join(viewA.dir, 'x'), 'x')).toThrow(/EROFS/); // the Pod's view is read-only
    const streamA = client(viewA.socket).fetchX509Svid();
    const first = await streamA.next();
    expect(first.svids).toHaveLength(1);
    const svid = first.svids[0];
    expect(svid.spiffe_id).toBe('spiffe://example.org/ns/sandbox/sa/wl-a');
    expect(opensslVerify(svid)).toMatch(/: OK$/);
    // The same SVID as the files, and the issuer's CA (status.ca: no --source-ca-bundle here).
    expect(new X509Certificate(readFileSync(join(viewA.dir, 'tls.crt'))).fingerprint256).toBe(leafFingerprint(svid.x509_svid));
    expect(createPrivateKey({ key: svid.x509_svid_key, format: 'der', type: 'pkcs8' })
      .export({ format: 'pem', type: 'pkcs8' })).toBe(createPrivateKey(readFileSync(join(viewA.dir, 'tls.key')))
      .export({ format: 'pem', type: 'pkcs8' }));
    expect(new X509Certificate(svid.bundle).fingerprint256).toBe(new X509Certificate(stack.issuer.caPem).fingerprint256);
    const bundles = await client(viewA.socket).fetchX509Bundles().next();
    expect(Object.keys(bundles.bundles)).toEqual(['spiffe://example.org']);

    // Isolation: B's socket serves B, and only B.
    const fromB = await client(view(b.targetPath).socket).fetchX509Svid().next();
    expect(fromB.svids.map((s) => s.spiffe_id)).toEqual(['spiffe://example.org/ns/sandbox/sa/wl-b']);

    // The spec's rules on the real endpoint.
    const plain = client(viewA.socket);
    await expect(plain.fetchX509Svid(false).next()).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await plain.unary('FetchJWTSVID')).toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringMatching(/JWT/) });

    // Renewal: a new message on the open stream, matching the swapped files.
    const renewed = (await streamA.next(15_000)).svids[0];
    expect(leafFingerprint(renewed.x509_svid)).not.toBe(leafFingerprint(svid.x509_svid));
    expect(opensslVerify(renewed)).toMatch(/: OK$/);
    expect(new X509Certificate(readFileSync(join(viewA.dir, 'tls.crt'))).fingerprint256).toBe(leafFingerprint(renewed.x509_svid));

    // Unpublish: the stream ends with OK and the socket is gone with the volume.
    viewA.release();
    views.splice(views.indexOf(viewA), 1);
    await stack.unpublish(a);
    expect(await streamA.ended).toBe(status.OK);
    expect(existsSync(dataSocket)).toBe(false);
  }, 60_000);

  it('is as reachable as tls.key: a user in the fs-group fetches, a user outside it cannot', async () => {
    const pod = stack.pod({ namespace: 'sandbox', serviceAccount: 'wl-group', fsGroup: 1541 });
    await stack.publish(pod);
    const podView = view(pod.targetPath);
    const member = asUser(podView, { uid: 1000, gid: 1000, groups: [1541] });
    expect(member).toEqual({ key: 'ok', spiffeId: 'spiffe://example.org/ns/sandbox/sa/wl-group' });
    const outsider = asUser(podView, { uid: 1001, gid: 1001, groups: [] });
    expect(outsider.key).toBe('EACCES');
    expect(outsider.spiffeId).toBeUndefined();
    expect(outsider.error).toMatch(/EACCES/);
  }, 60_000);

  it('opts one volume out with spiffe.csi.cert-manager.io/workload-api: "false"; a restarted driver serves adopted volumes again', async () => {
    const off = stack.pod({ namespace: 'sandbox', serviceAccount: 'wl-off', volumeAttributes: { 'spiffe.csi.cert-manager.io/workload-api': 'false' } });
    const on = stack.pod({ namespace: 'sandbox', serviceAccount: 'wl-adopted' });
    await stack.publish(off);
    await stack.publish(on);
    expect(existsSync(join(view(off.targetPath).dir, 'tls.crt'))).toBe(true);
    expect(existsSync(join(off.targetPath, 'workload.sock'))).toBe(false);

    await stack.restartDriver();
    const viewOn = view(on.targetPath);
    const message = await client(viewOn.socket).fetchX509Svid().next(15_000).catch(async () => {
      // The restarted driver may still be binding: a spec client retries.
      await new Promise((r) => setTimeout(r, 2_000));
      return client(viewOn.socket).fetchX509Svid().next();
    });
    expect(message.svids[0].spiffe_id).toBe('spiffe://example.org/ns/sandbox/sa/wl-adopted');
    expect(opensslVerify(message.svids[0])).toMatch(/: OK$/);
  }, 90_000);
});
