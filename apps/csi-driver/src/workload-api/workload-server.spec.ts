import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../../test/support/eventually';
import { buildSvidState, type X509SvidState } from './svid-state';
import { FixtureCa, type SvidFixture } from './testing/svid-fixture';
import { splitDer, WorkloadClient } from './testing/workload-client';
import { WorkloadApiHub } from './workload-hub';
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
  const hub = new WorkloadApiHub();

  beforeAll(async () => {
    ca = await FixtureCa.create();
  });
  afterAll(() => hub.close());

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
    server = await WorkloadApiServer.open(socket, undefined, { hub });
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

describe('WorkloadApiServer endpoints sharing one hub (one gRPC server for every volume)', () => {
  const hub = new WorkloadApiHub();
  let dir: string;
  const servers: WorkloadApiServer[] = [];
  const clients: WorkloadClient[] = [];
  const raw: Socket[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wl-hub-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of raw.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await s.close();
  });
  afterAll(async () => {
    hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function endpoint(name: string, options: { maxConnections?: number; onRefused?: () => void } = {}) {
    const socket = join(dir, `${name}.sock`);
    const server = await WorkloadApiServer.open(socket, undefined, { hub, ...options });
    servers.push(server);
    return { server, socket };
  }
  // A channel of its own per client (grpc-js would otherwise share one connection per address).
  const client = (socket: string) => {
    const c = new WorkloadClient(socket, { 'grpc.use_local_subchannel_pool': 1 });
    clients.push(c);
    return c;
  };

  it('serves each connection the SVID of the socket it came in on, and nothing else', async () => {
    const ca = await FixtureCa.create();
    const ids = Array.from({ length: 6 }, (_, i) => `spiffe://example.org/ns/app/sa/volume-${i}`);
    const volumes = await Promise.all(ids.map(async (id, i) => ({ id, ...(await endpoint(`v${i}`)), svid: await ca.issue(id) })));
    for (const v of volumes) v.server.update(stateOf(v.svid));
    // Interleaved: three clients per socket, all open at once, asked in a shuffled order.
    const asks = volumes.flatMap((v) => [0, 1, 2].map(() => ({ v, reader: client(v.socket).fetchX509Svid() }))).reverse();
    for (const { v, reader } of asks) {
      const svid = (await reader.next()).svids[0];
      expect(svid.spiffe_id).toBe(v.id);
      expect(splitDer(svid.x509_svid)[0].fingerprint256).toBe(new X509Certificate(v.svid.chainPem).fingerprint256);
    }
    // Closing one volume's endpoint leaves the others serving; its socket accepts nothing more.
    await volumes[0].server.close();
    await expect(client(volumes[0].socket).fetchX509Svid().next()).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect((await client(volumes[1].socket).fetchX509Svid().next()).svids[0].spiffe_id).toBe(ids[1]);
  });

  it('accepts at most maxConnections at once per socket and refuses the rest cleanly', async () => {
    const ca = await FixtureCa.create();
    let refused = 0;
    const { server, socket } = await endpoint('capped', { maxConnections: 3, onRefused: () => refused++ });
    const other = await endpoint('neighbour', { maxConnections: 3 });
    server.update(stateOf(await ca.issue(ID)));
    other.server.update(stateOf(await ca.issue(`${ID}-2`)));
    for (let i = 0; i < 3; i++) {
      raw.push(connect(socket));
      await new Promise((resolve) => raw.at(-1)!.once('connect', resolve));
    }
    await eventually(() => server.connectionCount === 3);
    const closed = new Promise((resolve) => connect(socket).once('close', resolve));
    await closed; // the 4th is closed by the driver at once
    expect(refused).toBe(1);
    await expect(client(socket).fetchX509Svid().next()).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect((await client(other.socket).fetchX509Svid().next()).svids[0].spiffe_id).toBe(`${ID}-2`); // other sockets are unaffected
    raw.pop()!.destroy(); // a slot frees up: the next client is served
    await eventually(() => server.connectionCount === 2);
    expect((await client(socket).fetchX509Svid().next()).svids[0].spiffe_id).toBe(ID);
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

  it('keeps the DER it serves in one block of exactly their size, not in views of shared Buffer pool slabs', async () => {
    const svid = await (await FixtureCa.create()).issue(ID);
    const result = buildSvidState({ spiffeId: ID, chainPem: svid.chainPem, keyPem: svid.keyPem, bundlePem: svid.caPem });
    if (!result.ok) throw new Error(result.reason);
    const { keyDer, chainDer, bundleDer } = result.state;
    const parts = [keyDer, ...chainDer, ...bundleDer];
    expect(new Set(parts.map((part) => part.buffer)).size).toBe(1);
    expect(keyDer.buffer.byteLength).toBe(parts.reduce((sum, part) => sum + part.length, 0));
    expect(new X509Certificate(chainDer[0]).toString()).toBe(new X509Certificate(svid.chainPem).toString());
    expect(createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ec');
    expect(new X509Certificate(bundleDer[0]).toString()).toBe(new X509Certificate(svid.caPem).toString());
  });
});
