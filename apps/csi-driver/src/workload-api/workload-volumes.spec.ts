import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../../test/support/eventually';
import type { CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import { InMemorySvidFiles } from '../storage/testing/in-memory-svid-files';
import type { ManagedVolume } from '../volume/managed-volume';
import { ATTRIBUTE_WORKLOAD_API } from '../volume/volume-context-keys';
import { validateX509Svid } from '@spiffe-csi/crypto';
import { FixtureCa } from './testing/svid-fixture';
import { WorkloadClient } from './testing/workload-client';
import { WorkloadApiHub } from './workload-hub';
import { WorkloadApiServer } from './workload-server';
import { WorkloadVolumes, type EndpointOpener } from './workload-volumes';

const ID = 'spiffe://example.org/ns/app/sa/api';

class FixedBundle implements CaBundleSource {
  constructor(public bundle?: Buffer) {}
  current(): Buffer | undefined {
    return this.bundle;
  }
  onChange(): () => void {
    return () => undefined;
  }
}

describe('WorkloadVolumes (one endpoint per issued volume)', () => {
  let ca: FixtureCa;
  let root: string;
  let files: InMemorySvidFiles;
  let bundle: FixedBundle;
  let warnings: string[];
  let messages: string[];
  let volumes: WorkloadVolumes;
  const clients: WorkloadClient[] = [];
  const hub = new WorkloadApiHub();

  beforeAll(async () => {
    ca = await FixtureCa.create();
  });
  afterAll(() => hub.close());
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'wl-vols-'));
    files = new InMemorySvidFiles();
    bundle = new FixedBundle();
    warnings = [];
    messages = [];
    volumes = workloadVolumes();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await volumes.closeAll();
    await rm(root, { recursive: true, force: true });
  });

  /** Over this test's files, bundle and root; warnings recorded; `open` binds real sockets unless replaced. */
  function workloadVolumes(open: EndpointOpener = (path, gid) => WorkloadApiServer.open(path, gid, { hub })): WorkloadVolumes {
    return new WorkloadVolumes({
      dataRoot: root, socketName: 'workload.sock', fileNames: { certificate: 'tls.crt', key: 'tls.key', ca: 'ca.crt', credentials: '', bundle: '' },
      reader: files, caBundle: bundle, logger: pino({ level: 'silent' }), open,
      warnPod: (_meta, reason, message) => {
        warnings.push(reason);
        messages.push(message);
      },
    });
  }

  async function issued(volumeId: string, context: Record<string, string> = {}): Promise<ManagedVolume> {
    const svid = await ca.issue(ID);
    await mkdir(join(root, volumeId, 'data'), { recursive: true });
    await files.write(volumeId, { 'tls.crt': svid.chainPem, 'tls.key': svid.keyPem });
    return { volumeId, targetPath: '/t', volumeContext: context, spiffeId: ID, issuerCaPem: ca.pem };
  }
  const fetch = (volumeId: string) => {
    const client = new WorkloadClient(volumes.socketPath(volumeId));
    clients.push(client);
    return client.fetchX509Svid().next();
  };

  it('serves the stored SVID with status.ca when no source bundle is configured, and removes the socket with the volume', async () => {
    await volumes.svidStored(await issued('vol-1'));
    expect((await fetch('vol-1')).svids[0].spiffe_id).toBe(ID);
    expect(volumes.volumeIds()).toEqual(['vol-1']);
    await volumes.volumeRemoved('vol-1');
    expect(existsSync(volumes.socketPath('vol-1'))).toBe(false);
    expect(volumes.volumeIds()).toEqual([]);
  });

  it('leaves out a volume whose attribute opts out', async () => {
    await volumes.svidStored(await issued('vol-off', { [ATTRIBUTE_WORKLOAD_API]: 'false' }));
    expect(existsSync(volumes.socketPath('vol-off'))).toBe(false);
  });

  it('refuses (UNAVAILABLE + Event) an SVID that does not verify against the configured bundle, which wins over status.ca', async () => {
    bundle.bundle = Buffer.from((await FixtureCa.create('CN=other')).pem);
    await volumes.svidStored(await issued('vol-2'));
    await expect(fetch('vol-2')).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(warnings).toEqual(['WorkloadApiSvidRefused']);
  });

  it('serves the SVID issuance validated as handed over, without reading the files back', async () => {
    const svid = await ca.issue(ID);
    const checked = validateX509Svid({ chainPem: svid.chainPem, keyPem: svid.keyPem, spiffeId: ID, bundlePem: ca.pem });
    if (!checked.ok) throw new Error(checked.message);
    await mkdir(join(root, 'vol-v', 'data'), { recursive: true });
    // No files at all: what is served can only come from the validated value.
    await volumes.svidStored({ volumeId: 'vol-v', targetPath: '/t', volumeContext: {}, spiffeId: ID }, checked.svid);
    const served = (await fetch('vol-v')).svids[0];
    expect(served.x509_svid.equals(Buffer.concat(checked.svid.chain.map((c) => c.der)))).toBe(true);
    expect(served.x509_svid_key.equals(checked.svid.keyDer)).toBe(true);
  });

  it('checks files read back with the SVID rules, naming the broken rule in the Event', async () => {
    const meta = await issued('vol-4');
    meta.spiffeId = 'spiffe://example.org/ns/app/sa/other'; // the files hold another identity
    await volumes.svidStored(meta);
    await expect(fetch('vol-4')).rejects.toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/^B1: /) });
    expect(messages).toEqual([expect.stringMatching(/^the Workload API does not serve this SVID: B1: /)]);
  });

  it('re-serves every volume after a bundle change in batches, giving the event loop turns in between', async () => {
    const updates: string[] = [];
    const quiet = workloadVolumes(async (path) => ({ update: () => void updates.push(path), setGroup: async () => undefined, close: async () => undefined }));
    const metas = await Promise.all(Array.from({ length: 100 }, (_, i) => issued(`vol-b${i}`)));
    for (const meta of metas) await quiet.svidStored(meta);
    expect(updates).toHaveLength(100);
    bundle.bundle = Buffer.from(`${ca.pem}\n${(await FixtureCa.create('CN=next')).pem}`);
    let turns = 0;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    await quiet.bundleChanged();
    done = true;
    expect(updates).toHaveLength(200); // every volume got the new bundle
    expect(turns).toBeGreaterThanOrEqual(3); // 100 volumes, batches of 32: the loop ran between them
  });

  it('takes resumed volumes up from their files a batch at a time, and none that was unpublished meanwhile', async () => {
    const metas = await Promise.all(Array.from({ length: 70 }, (_, i) => issued(`vol-r${i}`)));
    for (const meta of metas) volumes.volumeResumed(meta);
    await volumes.volumeRemoved('vol-r69');
    expect(volumes.volumeIds()).toEqual([]); // nothing served before the loop turns
    await eventually(() => volumes.volumeIds().length === 69, 20_000, '69 resumed volumes served');
    expect((await fetch('vol-r0')).svids[0].spiffe_id).toBe(ID);
    expect(existsSync(volumes.socketPath('vol-r69'))).toBe(false);
  });

  it('lets a renewal reported before a resumed volume\'s turn supersede it: the stale files are never served', async () => {
    const meta = await issued('vol-s'); // the files: the SVID from before the restart
    const renewed = await ca.issue(ID);
    const checked = validateX509Svid({ chainPem: renewed.chainPem, keyPem: renewed.keyPem, spiffeId: ID, bundlePem: ca.pem });
    if (!checked.ok) throw new Error(checked.message);
    const read = files.read.bind(files);
    let reads = 0;
    files.read = (volumeId) => {
      reads++;
      return read(volumeId);
    };
    volumes.volumeResumed(meta);
    await volumes.svidStored(meta, checked.svid); // the renewal, before the resumed volume's batch
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toBe(0);
    expect((await fetch('vol-s')).svids[0].x509_svid_key.equals(checked.svid.keyDer)).toBe(true);
  });

  it('tells the Pod (Event) when its endpoint cannot be opened, and serves it once a later report can', async () => {
    let failing = true;
    const flaky = workloadVolumes(async (path, gid) => {
      if (failing) throw new Error('EACCES: permission denied, mkdtemp \'/tmp/wl-XXXXXX\'');
      return WorkloadApiServer.open(path, gid, { hub });
    });
    const meta = await issued('vol-f');
    await flaky.svidStored(meta);
    expect(warnings).toEqual(['WorkloadApiUnavailable']);
    expect(messages[0]).toMatch(/^the Workload API endpoint for this volume failed: EACCES/);
    expect(flaky.volumeIds()).toEqual([]);
    failing = false;
    await flaky.svidStored(meta);
    expect(flaky.volumeIds()).toEqual(['vol-f']);
    await flaky.closeAll();
  });

  it('binds again when the socket vanished with a lost data root', async () => {
    const meta = await issued('vol-3');
    await volumes.svidStored(meta);
    await rm(volumes.socketPath('vol-3'));
    await volumes.svidStored(meta);
    expect((await fetch('vol-3')).svids[0].spiffe_id).toBe(ID);
  });
});
