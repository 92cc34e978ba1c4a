import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildSvidState, type X509SvidState } from './svid-state';
import { FixtureCa, type SvidFixture } from './testing/svid-fixture';
import { splitDer, WorkloadClient } from './testing/workload-client';
import { WorkloadApiServer } from './workload-server';

const ID = 'spiffe://example.org/ns/app/sa/web';

function stateOf(svid: SvidFixture, bundlePem = svid.caPem): X509SvidState {
  const built = buildSvidState({ spiffeId: svid.spiffeId, chainPem: svid.chainPem, keyPem: svid.keyPem, bundlePem });
  if (!built.ok) throw new Error(built.reason);
  return built.state;
}

describe('WorkloadApiServer (one volume, a real unix socket)', () => {
  let ca: FixtureCa;
  let dir: string;
  let server: WorkloadApiServer | undefined;
  let client: WorkloadClient | undefined;

  beforeAll(async () => {
    ca = await FixtureCa.create();
  });

  afterEach(async () => {
    client?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
    server = client = undefined;
  });

  async function open(): Promise<{ server: WorkloadApiServer; client: WorkloadClient; socket: string }> {
    dir = await mkdtemp(join(tmpdir(), 'wl-spec-'));
    // Longer than sun_path's 108 bytes, as kubelet's paths and our data dirs are.
    const long = join(dir, 'pods', '0123456789abcdef0123456789abcdef0123', 'volumes', 'kubernetes.io~csi', 'v'.repeat(63), 'mount');
    await mkdir(long, { recursive: true });
    const socket = join(long, 'workload.sock');
    expect(Buffer.byteLength(socket)).toBeGreaterThan(108);
    server = await WorkloadApiServer.open(socket, undefined);
    // Clients have the same limit: they dial a short path, as a Pod dials its mount path.
    await symlink(long, join(dir, 'pod'));
    client = new WorkloadClient(join(dir, 'pod', 'workload.sock'));
    return { server, client, socket };
  }

  it('binds at a path longer than sun_path allows, with the key file\'s mode semantics (0660)', async () => {
    const { socket } = await open();
    const info = await stat(socket);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o660);
  });

  it('answers UNAVAILABLE before the first SVID, INVALID_ARGUMENT without the header, UNIMPLEMENTED for JWT', async () => {
    const { client, server } = await open();
    await expect(client.fetchX509Svid().next()).rejects.toMatchObject({ code: status.UNAVAILABLE });
    server.update(stateOf(await ca.issue(ID)));
    await expect(client.fetchX509Svid(false).next()).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(client.fetchX509Bundles(false).next()).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((await client.unary('FetchJWTSVID', false)).code).toBe(status.INVALID_ARGUMENT);
    for (const method of ['FetchJWTSVID', 'ValidateJWTSVID'] as const) {
      const result = await client.unary(method);
      expect(result.code).toBe(status.UNIMPLEMENTED);
      expect(result.details).toMatch(/JWT-SVID profile is not served/);
    }
    await expect(client.stream('FetchJWTBundles').next()).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
  });

  it('streams the full state on connect, then every change; bundles only when the bundle changes; ends OK on close', async () => {
    const { client, server } = await open();
    const first = await ca.issue(ID);
    server.update(stateOf(first));
    const svids = client.fetchX509Svid();
    const bundles = client.fetchX509Bundles();

    const message = await svids.next();
    expect(message.svids).toHaveLength(1);
    const svid = message.svids[0];
    expect(svid.spiffe_id).toBe(ID);
    const chain = splitDer(svid.x509_svid);
    expect(chain.map((c) => c.toString())).toEqual([new X509Certificate(first.chainPem).toString(), ca.cert.toString('pem')]
      .map((pem) => new X509Certificate(pem).toString()));
    expect(chain[0].checkPrivateKey(createPrivateKey({ key: svid.x509_svid_key, format: 'der', type: 'pkcs8' }))).toBe(true);
    expect(splitDer(svid.bundle).map((c) => c.fingerprint256)).toEqual([new X509Certificate(ca.pem).fingerprint256]);
    const bundleMessage = await bundles.next();
    expect(Object.keys(bundleMessage.bundles)).toEqual(['spiffe://example.org']);
    expect(bundleMessage.bundles['spiffe://example.org'].equals(svid.bundle)).toBe(true);

    const renewed = await ca.issue(ID);
    server.update(stateOf(renewed));
    const pushed = (await svids.next()).svids[0];
    expect(splitDer(pushed.x509_svid)[0].fingerprint256).toBe(new X509Certificate(renewed.chainPem).fingerprint256);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bundles.pending).toBe(0); // the bundle did not change: no message

    const otherCa = await FixtureCa.create('CN=next-ca');
    server.update(stateOf(renewed, `${ca.pem}\n${otherCa.pem}\n`));
    expect(splitDer((await svids.next()).svids[0].bundle)).toHaveLength(2);
    expect(splitDer((await bundles.next()).bundles['spiffe://example.org'])).toHaveLength(2);

    await server.close();
    expect(await svids.ended).toBe(status.OK);
    expect(await bundles.ended).toBe(status.OK);
  });
});

describe('buildSvidState', () => {
  it('refuses an SVID whose chain does not verify against the bundle served with it', async () => {
    const svid = await (await FixtureCa.create()).issue(ID);
    const stranger = await FixtureCa.create('CN=stranger');
    const result = buildSvidState({ spiffeId: ID, chainPem: svid.chainPem, keyPem: svid.keyPem, bundlePem: stranger.pem });
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/does not verify against the trust bundle/) });
    expect(buildSvidState({ ...svid, bundlePem: '' })).toMatchObject({ ok: false, reason: expect.stringMatching(/no trust bundle/) });
    expect(buildSvidState({ ...svid, bundlePem: svid.caPem })).toMatchObject({ ok: true });
  });
});
