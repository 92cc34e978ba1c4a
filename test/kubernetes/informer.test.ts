import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CertificateRequestApi,
  ConfigMapApi,
  Informer,
  certificateRequestsPath,
  setCondition,
  type CertificateRequest,
  type KubeObject,
} from '@spiffe-csi/kubernetes';
import { newRequest, startSimWithConnection, type SimContext } from './helpers';
import { eventually } from '../support/eventually';

// One simulator for the file (start-up costs a second); every test labels its objects with its
// own `case` value and watches only that label, so tests cannot see each other's objects.
let ctx: SimContext;
let api: CertificateRequestApi;
let caseNo = 0;
let label: string;
const informers: Informer<KubeObject>[] = [];

beforeAll(async () => {
  ctx = await startSimWithConnection();
  api = new CertificateRequestApi(ctx.conn);
});
afterAll(() => ctx.close());
beforeEach(() => {
  label = `case=c${++caseNo}`;
});
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  ctx.sim.faults.reset();
  await ctx.sim.faults.comeUp();
});

const labelled = (name: string) => newRequest(name, { case: label.split('=')[1] });

/** Records every handler call as "kind name@rv" so duplicates and misses are visible. */
function record<T extends KubeObject>(informer: Informer<T>): string[] {
  const log: string[] = [];
  const tag = (o: T) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`;
  informer.addHandlers({
    onAdd: (o) => log.push(`add ${tag(o)}`),
    onUpdate: (o) => log.push(`update ${tag(o)}`),
    onDelete: (o) => log.push(`delete ${o.metadata.namespace}/${o.metadata.name}`),
  });
  return log;
}

function crInformer(
  opts: { extraSelector?: string; watchTimeoutSeconds?: number } = {},
): Informer<CertificateRequest> {
  const informer = new Informer<CertificateRequest>(ctx.conn, {
    path: certificateRequestsPath(),
    labelSelector: [label, opts.extraSelector].filter(Boolean).join(','),
    backoff: { initialMs: 20, maxMs: 200 },
    watchTimeoutSeconds: opts.watchTimeoutSeconds,
  });
  informers.push(informer as Informer<KubeObject>);
  return informer;
}

const ready = (cr: CertificateRequest) =>
  setCondition(cr, { type: 'Ready', status: 'False', reason: 'Pending', message: '' });
const expectNoDuplicates = (log: string[]) => expect(new Set(log).size).toBe(log.length);

describe('Informer against kube-sim', () => {
  it('syncs the initial list, then reports add/update/delete from the watch', async () => {
    await api.create('a', newRequest('pre', { app: 'x', case: label.slice(5) }));
    await api.create('a', newRequest('ignored', { app: 'y', case: label.slice(5) }));
    const informer = crInformer({ extraSelector: 'app=x' });
    const log = record(informer);
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await informer.waitForSync({ timeoutMs: 5_000 });
    expect(informer.list().map((c) => c.metadata.name)).toEqual(['pre']);
    expect(informer.get('a', 'pre')).toMatchObject({
      apiVersion: 'cert-manager.io/v1',
      kind: 'CertificateRequest',
    });

    const created = await api.create('b', newRequest('live', { app: 'x', case: label.slice(5) }));
    const updated = await api.updateStatus('b', 'live', ready);
    await api.delete('a', 'pre');
    await eventually(() => log.length === 4, 5_000, 'four events');
    expect(log).toEqual([
      `add a/pre@${log[0].split('@')[1]}`,
      `add b/live@${created.metadata.resourceVersion}`,
      `update b/live@${updated?.metadata.resourceVersion}`,
      'delete a/pre',
    ]);
    expect(informer.get('b', 'live')?.status?.conditions?.[0].reason).toBe('Pending');
    expect(informer.get('a', 'pre')).toBeUndefined();
  });

  it('relists after compact() + dropWatches(): every missed change exactly once, nothing twice', async () => {
    for (const n of ['keep', 'change', 'remove']) await api.create('r', labelled(n));
    const informer = crInformer();
    const log = record(informer);
    informer.start();
    await informer.waitForSync({ timeoutMs: 5_000 });
    await api.updateStatus('r', 'keep', ready);
    await eventually(() => log.length === 4, 5_000, 'initial events');

    // Throttle (429) every list/watch so the informer keeps retrying the watch from its old
    // resourceVersion while changes happen and history is compacted away behind it.
    const path = certificateRequestsPath();
    ctx.sim.faults.failRequests({
      status: 429,
      count: Infinity,
      match: (m, p) => m === 'GET' && p === path,
    });
    ctx.sim.faults.dropWatches();
    await eventually(() => ctx.sim.openWatches() === 0, 5_000, 'watch dropped');
    const staleRv = informer.lastResourceVersion; // frozen: every re-watch is throttled now
    const changed = await api.updateStatus('r', 'change', ready);
    await api.delete('r', 'remove');
    const added = await api.create('r', labelled('added'));
    ctx.sim.faults.compact();
    const before = ctx.sim.requests.length;
    ctx.sim.faults.reset();

    await eventually(() => log.length === 7, 5_000, 'relist diff');
    const tail = log.slice(4).sort();
    expect(tail).toEqual([
      `add r/added@${added.metadata.resourceVersion}`,
      'delete r/remove',
      `update r/change@${changed?.metadata.resourceVersion}`,
    ]);
    // The resumed watch was refused with 410 and a full list followed.
    const after = ctx.sim.requests.slice(before);
    expect(
      after.some(
        (r) => r.query.includes('watch=1') && r.query.includes(`resourceVersion=${staleRv}`),
      ),
    ).toBe(true);
    expect(
      after.some((r) => r.method === 'GET' && r.path === path && !r.query.includes('watch=')),
    ).toBe(true);

    // Still watching afterwards, and nothing was handled twice.
    await api.updateStatus('r', 'added', ready);
    await eventually(() => log.length === 8, 5_000, 'post-relist event');
    expectNoDuplicates(log);
  });

  it('survives the API server going down and coming back', async () => {
    const informer = crInformer();
    const log = record(informer);
    informer.start();
    await informer.waitForSync({ timeoutMs: 5_000 });
    await api.create('d', labelled('before'));
    await eventually(() => log.length === 1, 5_000, 'first add');

    await ctx.sim.faults.goDown();
    await new Promise((r) => setTimeout(r, 300)); // several refused reconnects
    await ctx.sim.faults.comeUp();
    await api.create('d', labelled('after'));
    await eventually(() => log.length === 2, 10_000, 'add after comeback');
    expect(log[1]).toMatch(/^add d\/after@/);
    expectNoDuplicates(log);
  });

  it('waits for sync while the API server is down at start', async () => {
    await api.create('w', labelled('x'));
    await ctx.sim.faults.goDown();
    const informer = crInformer();
    informer.start();
    const synced = informer.waitForSync({ timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(informer.hasSynced()).toBe(false);
    await ctx.sim.faults.comeUp();
    await synced;
    expect(informer.list()).toHaveLength(1);
  });

  it('re-establishes watches that the server times out', async () => {
    const informer = crInformer({ watchTimeoutSeconds: 1 });
    const log = record(informer);
    informer.start();
    await informer.waitForSync({ timeoutMs: 5_000 });
    // The request log records a watch when it ends; wait for a server-side timeout.
    const ended = () =>
      ctx.sim.requests.filter(
        (r) => r.query.includes('watch=1') && r.query.includes(label.replace('=', '%3D')),
      ).length;
    await eventually(() => ended() >= 1, 5_000, 'server-side watch timeout');
    await api.create('t', labelled('late'));
    await eventually(() => log.length === 1, 5_000, 'add over the new watch');
    expect(log[0]).toMatch(/^add t\/late@/);
  });

  it('advances its resourceVersion on bookmarks', async () => {
    // Own simulator: frequent bookmarks only here (see the report on kube-sim's bookmark timer).
    const own = await startSimWithConnection({ bookmarkIntervalMs: 100 });
    const informer = new Informer<CertificateRequest>(own.conn, {
      path: certificateRequestsPath(),
      labelSelector: 'app=watched',
    });
    try {
      informer.start();
      await informer.waitForSync({ timeoutMs: 5_000 });
      await new CertificateRequestApi(own.conn).create('t', newRequest('unrelated'));
      const rv = own.sim.store.resourceVersion();
      // Only a bookmark can tell the informer about the unrelated object's resourceVersion.
      await eventually(() => Number(informer.lastResourceVersion) >= Number(rv), 5_000, 'bookmark');
      expect(informer.list()).toEqual([]);
    } finally {
      await informer.stop();
      await own.close();
    }
  });

  it('watches one ConfigMap by name', async () => {
    const cms = new ConfigMapApi(ctx.conn);
    const path = '/api/v1/namespaces/cfg/configmaps';
    await ctx.conn.request('POST', path, {
      body: { metadata: { name: 'other' }, data: { a: '1' } },
    });
    expect(await cms.get('cfg', 'runtime')).toBeUndefined();
    const informer = cms.watch('cfg', 'runtime', { backoff: { initialMs: 20 } });
    informers.push(informer);
    const log = record(informer);
    informer.start();
    await informer.waitForSync({ timeoutMs: 5_000 });
    expect(informer.list()).toEqual([]);
    await ctx.conn.request('POST', path, {
      body: { metadata: { name: 'runtime' }, data: { 'issuer-name': 'ca' } },
    });
    await ctx.conn.request('PATCH', `${path}/other`, {
      body: { data: { a: '2' } },
      contentType: 'application/merge-patch+json',
    });
    await ctx.conn.request('PATCH', `${path}/runtime`, {
      body: { data: { 'issuer-name': 'ca2' } },
      contentType: 'application/merge-patch+json',
    });
    await ctx.conn.request('DELETE', `${path}/runtime`);
    await eventually(() => log.length === 3, 5_000, 'configmap events');
    expect(log.map((l) => l.split('@')[0])).toEqual([
      'add cfg/runtime',
      'update cfg/runtime',
      'delete cfg/runtime',
    ]);
    expect((await cms.get('cfg', 'other'))?.data).toEqual({ a: '2' });
  });

  it('rejects waitForSync when stopped first, and calls no handler after stop()', async () => {
    const informer = crInformer();
    const log = record(informer);
    await ctx.sim.faults.goDown();
    informer.start();
    const waiting = informer.waitForSync();
    await informer.stop();
    await expect(waiting).rejects.toThrow(/stopped/);
    await ctx.sim.faults.comeUp();
    await api.create('s', labelled('after-stop'));
    await new Promise((r) => setTimeout(r, 200));
    expect(log).toEqual([]);
  });
});
