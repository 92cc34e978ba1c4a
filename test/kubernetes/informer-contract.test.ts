import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Informer, type ConfigMap } from '@spiffe-csi/kubernetes';
import { startSimWithConnection, type SimContext } from './helpers';

// Contract: our Informer (libs/kubernetes/src/informer.ts) and @kubernetes/client-node's
// makeInformer, fed by the same kube-sim watch, report the same adds, updates and deletes, and
// recover the same way from dropped watches and from 410 Gone. While this holds, ours can be
// replaced by client-node's (docs/decisions/0003-informer.md says when that is worth it).

let ctx: SimContext;
let kc: KubeConfig;
let core: CoreV1Api;
let nsNo = 0;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ctx = await startSimWithConnection();
  kc = new KubeConfig();
  kc.loadFromFile(ctx.sim.writeKubeconfig(ctx.sim.adminToken));
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(() => ctx.close());
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
  ctx.sim.faults.reset();
});

type Meta = { metadata?: { name?: string; resourceVersion?: string } };
const tag = (o: Meta) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`;

/** Both informers over one namespace's ConfigMaps, each recording "add|update name@rv", "delete name". */
async function startBoth(namespace: string) {
  const path = `/api/v1/namespaces/${namespace}/configmaps`;
  const ours = new Informer<ConfigMap>(ctx.conn, { path, backoff: { initialMs: 20, maxMs: 200 } });
  const oursLog: string[] = [];
  ours.addHandlers({
    onAdd: (o) => oursLog.push(`add ${tag(o)}`),
    onUpdate: (o) => oursLog.push(`update ${tag(o)}`),
    onDelete: (o) => oursLog.push(`delete ${o.metadata.name}`),
  });

  const theirs = makeInformer<V1ConfigMap>(kc, path, () =>
    core.listNamespacedConfigMap({ namespace }),
  );
  const theirsLog: string[] = [];
  let stopped = false;
  theirs.on('add', (o) => theirsLog.push(`add ${tag(o)}`));
  theirs.on('update', (o) => theirsLog.push(`update ${tag(o)}`));
  theirs.on('delete', (o) => theirsLog.push(`delete ${o.metadata?.name}`));
  // client-node stops on any error but 410; its documented use is to start it again.
  theirs.on('error', () => setTimeout(() => void (stopped || theirs.start()), 20));

  stops.push(async () => {
    stopped = true;
    await Promise.all([ours.stop(), theirs.stop()]);
  });
  ours.start();
  await Promise.all([ours.waitForSync({ timeoutMs: 5_000 }), theirs.start()]);
  const cached = () => ({
    ours: ours.list().map(tag).sort(),
    theirs: theirs.list().map(tag).sort(),
  });
  return { path, oursLog, theirsLog, cached };
}

function configMaps(namespace: string) {
  const path = `/api/v1/namespaces/${namespace}/configmaps`;
  return {
    create: (name: string) =>
      ctx.conn.request<ConfigMap>('POST', path, { body: { metadata: { name }, data: { v: '0' } } }),
    update: (name: string, v: string) =>
      ctx.conn.request<ConfigMap>('PATCH', `${path}/${name}`, {
        body: { data: { v } },
        contentType: 'application/merge-patch+json',
      }),
    remove: (name: string) => ctx.conn.request('DELETE', `${path}/${name}`),
  };
}

const both = (logs: { oursLog: string[]; theirsLog: string[] }, n: number) =>
  vi.waitFor(
    () => {
      expect(logs.oursLog).toHaveLength(n);
      expect(logs.theirsLog).toHaveLength(n);
    },
    { timeout: 10_000, interval: 20 },
  );

describe('our Informer and client-node makeInformer on the same kube-sim watch', () => {
  it('list, then watched add/update/delete: the same events in the same order', async () => {
    const ns = `contract-${++nsNo}`;
    const cms = configMaps(ns);
    const a = await cms.create('a');
    const b = await cms.create('b');
    const logs = await startBoth(ns);
    const c = await cms.create('c');
    const a2 = await cms.update('a', '1');
    await cms.remove('b');
    await both(logs, 5);
    expect(logs.oursLog).toEqual([
      `add ${tag(a)}`,
      `add ${tag(b)}`,
      `add ${tag(c)}`,
      `update ${tag(a2)}`,
      'delete b',
    ]);
    expect(logs.theirsLog).toEqual(logs.oursLog);
    expect(logs.cached().ours).toEqual([tag(a2), tag(c)]);
    expect(logs.cached().theirs).toEqual(logs.cached().ours);
  });

  it('a dropped watch resumes from the last resourceVersion: no relist, nothing twice', async () => {
    const ns = `contract-${++nsNo}`;
    const cms = configMaps(ns);
    const logs = await startBoth(ns);
    const x = await cms.create('x');
    await both(logs, 1);
    const before = ctx.sim.requests.length;
    ctx.sim.faults.dropWatches();
    const y = await cms.create('y');
    await both(logs, 2);
    expect(logs.oursLog).toEqual([`add ${tag(x)}`, `add ${tag(y)}`]);
    expect(logs.theirsLog).toEqual(logs.oursLog);
    const relists = ctx.sim.requests
      .slice(before)
      .filter((r) => r.method === 'GET' && r.path === logs.path && !r.query.includes('watch'));
    expect(relists).toEqual([]);
  });

  it('410 after a compaction: both relist and report each missed change exactly once', async () => {
    const ns = `contract-${++nsNo}`;
    const cms = configMaps(ns);
    for (const name of ['keep', 'change', 'remove']) await cms.create(name);
    const logs = await startBoth(ns);
    expect(logs.oursLog).toHaveLength(3);

    // Throttle every list and watch of the collection, so both keep retrying from their old
    // resourceVersion while changes happen and the history behind it is compacted away.
    ctx.sim.faults.failRequests({
      status: 429,
      count: Infinity,
      match: (m, p) => m === 'GET' && p === logs.path,
    });
    ctx.sim.faults.dropWatches();
    await vi.waitFor(() => expect(ctx.sim.openWatches()).toBe(0), { timeout: 5_000 });
    const changed = await cms.update('change', '1');
    await cms.remove('remove');
    const added = await cms.create('added');
    ctx.sim.faults.compact();
    const before = ctx.sim.requests.length;
    ctx.sim.faults.reset();

    await both(logs, 6);
    const lists = ctx.sim.requests
      .slice(before)
      .filter((r) => r.method === 'GET' && r.path === logs.path && !r.query.includes('watch'));
    expect(lists.map((r) => r.status)).toEqual([200, 200]); // one relist each
    const missed = [`add ${tag(added)}`, 'delete remove', `update ${tag(changed)}`];
    expect(logs.oursLog.slice(3).sort()).toEqual(missed);
    expect(logs.theirsLog.slice(3).sort()).toEqual(missed);
    expect(logs.cached().theirs).toEqual(logs.cached().ours);

    // Both watch again after the relist.
    const later = await cms.update('keep', '2');
    await both(logs, 7);
    expect(logs.oursLog[6]).toBe(`update ${tag(later)}`);
    expect(logs.theirsLog[6]).toBe(logs.oursLog[6]);
  });
});
