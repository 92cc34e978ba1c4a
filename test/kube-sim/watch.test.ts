import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index';
import { PlainKubeClient, type WatchEvent } from './kube-client';
import { eventually } from '../support/eventually';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let sim: KubeSim;
let kube: PlainKubeClient;
const CM = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

beforeAll(async () => {
  sim = await startKubeSim({ bookmarkIntervalMs: 50 });
  kube = new PlainKubeClient({ url: sim.url, token: sim.adminToken });
});
afterAll(async () => {
  kube.close();
  await sim.close();
});

function collect(path: string, query: Record<string, string>) {
  const events: WatchEvent[] = [];
  const w = kube.watch(path, query, (e) => events.push(e));
  return { events, ...w, names: () => events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type}:${(e.object.metadata as Obj).name}`) };
}

describe('watch', () => {
  it('without resourceVersion sends synthetic ADDED for existing objects, then live changes', async () => {
    await kube.request('POST', CM('w1'), { metadata: { name: 'pre' } });
    const w = collect(CM('w1'), {});
    await eventually(() => (w.names().length === 1 ? true : undefined));
    await kube.request('PATCH', CM('w1', 'pre'), { data: { a: '1' } }, 'application/merge-patch+json');
    await kube.request('DELETE', CM('w1', 'pre'));
    await eventually(() => (w.names().length === 3 ? true : undefined));
    expect(w.names()).toEqual(['ADDED:pre', 'MODIFIED:pre', 'DELETED:pre']);
    const rvs = w.events.map((e) => Number((e.object.metadata as Obj).resourceVersion));
    expect(rvs[1]).toBeGreaterThan(rvs[0]);
    w.stop();
  });

  it('from a resourceVersion replays exactly the events after it', async () => {
    const first = (await kube.request<Obj>('POST', CM('w2'), { metadata: { name: 'a' } })).body;
    await kube.request('POST', CM('w2'), { metadata: { name: 'b' } });
    await kube.request('DELETE', CM('w2', 'a'));
    const w = collect(CM('w2'), { resourceVersion: first.metadata.resourceVersion });
    await eventually(() => (w.names().length === 2 ? true : undefined));
    expect(w.names()).toEqual(['ADDED:b', 'DELETED:a']);
    w.stop();
  });

  it('sends ERROR 410 Gone and closes for a resourceVersion older than history after compact()', async () => {
    const old = (await kube.request<Obj>('POST', CM('w3'), { metadata: { name: 'a' } })).body.metadata.resourceVersion;
    await kube.request('POST', CM('w3'), { metadata: { name: 'b' } });
    sim.faults.compact();
    const w = collect(CM('w3'), { resourceVersion: old });
    await w.done;
    expect(w.events).toHaveLength(1);
    expect(w.events[0].type).toBe('ERROR');
    expect(w.events[0].object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(String(w.events[0].object.message)).toMatch(/^too old resource version: /);
    // the current resourceVersion is still resumable
    const current = collect(CM('w3'), { resourceVersion: sim.store.resourceVersion() });
    await kube.request('POST', CM('w3'), { metadata: { name: 'c' } });
    await eventually(() => (current.names().length === 1 ? true : undefined));
    current.stop();
  });

  it('a label-selector watch turns objects leaving/entering the selector into DELETED/ADDED', async () => {
    const w = collect(CM('w4'), { labelSelector: 'app=x', resourceVersion: sim.store.resourceVersion() });
    await kube.request('POST', CM('w4'), { metadata: { name: 'o', labels: { app: 'y' } } });
    await kube.request('PATCH', CM('w4', 'o'), { metadata: { labels: { app: 'x' } } }, 'application/merge-patch+json');
    await kube.request('PATCH', CM('w4', 'o'), { data: { k: 'v' } }, 'application/merge-patch+json');
    await kube.request('PATCH', CM('w4', 'o'), { metadata: { labels: { app: 'z' } } }, 'application/merge-patch+json');
    await eventually(() => (w.names().length === 3 ? true : undefined));
    expect(w.names()).toEqual(['ADDED:o', 'MODIFIED:o', 'DELETED:o']);
    w.stop();
  });

  it('sends BOOKMARK events with the current resourceVersion when asked', async () => {
    const w = collect('/api/v1/configmaps', { allowWatchBookmarks: 'true', resourceVersion: sim.store.resourceVersion() });
    const bookmark = await eventually(() => w.events.find((e) => e.type === 'BOOKMARK'));
    expect(bookmark.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: sim.store.resourceVersion() } });
    w.stop();
  });

  it('timeoutSeconds ends the stream', async () => {
    const w = collect(CM('w5'), { timeoutSeconds: '1' });
    await w.done;
  });

  it('dropWatches() ends every open stream', async () => {
    const a = collect(CM('w6'), {});
    const b = collect('/apis/cert-manager.io/v1/certificaterequests', {});
    await eventually(() => (sim.openWatches() >= 2 ? true : undefined));
    sim.faults.dropWatches();
    await Promise.all([a.done, b.done]);
    expect(sim.openWatches()).toBe(0);
  });
});

describe('faults', () => {
  it('failRequests answers the matching requests with a Status of the given code', async () => {
    sim.faults.failRequests({ status: 503, count: 2, match: (m, p) => m === 'POST' && p.includes('/configmaps') });
    const one = await kube.request<Obj>('POST', CM('f1'), { metadata: { name: 'x' } });
    expect(one.status).toBe(503);
    expect(one.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect((await kube.request('GET', CM('f1'))).status).toBe(200); // not matched
    expect((await kube.request('POST', CM('f1'), { metadata: { name: 'x' } })).status).toBe(503);
    expect((await kube.request('POST', CM('f1'), { metadata: { name: 'x' } })).status).toBe(201);
    expect(sim.requests.filter((r) => r.path === CM('f1') && r.method === 'POST').map((r) => r.status)).toEqual([503, 503, 201]);
  });

  it('reset() clears pending injected failures', async () => {
    sim.faults.failRequests({ count: 5 });
    sim.faults.reset();
    expect((await kube.request('GET', CM('f1'))).status).toBe(200);
  });

  it('goDown() refuses connections and cuts watches; comeUp() serves the same state on the same port', async () => {
    await kube.request('POST', CM('f2'), { metadata: { name: 'kept' } });
    const w = collect(CM('f2'), {});
    await eventually(() => (w.names().length === 1 ? true : undefined));
    await sim.faults.goDown();
    await w.done.catch(() => undefined);
    const fresh = new PlainKubeClient({ url: sim.url, token: sim.adminToken });
    await expect(fresh.request('GET', CM('f2'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.faults.comeUp();
    const got = await fresh.request<Obj>('GET', CM('f2', 'kept'));
    expect(got.status).toBe(200);
    fresh.close();
  });
});
