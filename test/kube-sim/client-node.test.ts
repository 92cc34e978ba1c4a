import {
  CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, Watch, type ApiException,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index';
import { certificateRequest, spiffeCsr } from './test-support';
import { eventually } from '../support/eventually';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CR = { group: 'cert-manager.io', version: 'v1', plural: 'certificaterequests' };
let sim: KubeSim;
let kc: KubeConfig;

beforeAll(async () => {
  sim = await startKubeSim({ tls: true });
  kc = new KubeConfig();
  kc.loadFromFile(sim.writeKubeconfig(sim.adminToken));
});
afterAll(async () => {
  await sim.close();
});

describe('@kubernetes/client-node against kube-sim (TLS, kubeconfig from writeKubeconfig)', () => {
  it('CustomObjectsApi creates and lists CertificateRequests; errors surface as ApiException with the Status', async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({ ...CR, namespace: 'cn', body: certificateRequest('via-client', await spiffeCsr()) })) as Obj;
    expect(created.metadata.uid).toBeDefined();
    expect(created.spec.username).toBe('kube-admin');
    const list = (await api.listNamespacedCustomObject({ ...CR, namespace: 'cn' })) as Obj;
    expect(list.kind).toBe('CertificateRequestList');
    expect(list.items.map((i: Obj) => i.metadata.name)).toEqual(['via-client']);
    const err = (await api.getNamespacedCustomObject({ ...CR, namespace: 'cn', name: 'missing' }).catch((e: unknown) => e)) as ApiException<string>;
    expect(err.code).toBe(404);
    expect(JSON.parse(err.body).reason).toBe('NotFound');
  });

  it('CoreV1Api creates and merge-patches a ConfigMap', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'cfg' }, data: { a: '1' } } });
    const patched = await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace: 'cn', body: { data: { b: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ a: '1', b: '2' });
    const list = await core.listNamespacedConfigMap({ namespace: 'cn', labelSelector: '!missing' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['cfg']);
  });

  it('Watch receives ADDED/MODIFIED and sees the stream end on dropWatches()', async () => {
    const events: string[] = [];
    let ended = false;
    const req = await new Watch(kc).watch(
      '/apis/cert-manager.io/v1/namespaces/cw/certificaterequests',
      { resourceVersion: sim.store.resourceVersion() },
      (type, obj: Obj) => events.push(`${type}:${obj.metadata.name}`),
      () => (ended = true),
    );
    const api = kc.makeApiClient(CustomObjectsApi);
    await eventually(() => (sim.openWatches() > 0 ? true : undefined));
    await api.createNamespacedCustomObject({ ...CR, namespace: 'cw', body: certificateRequest('watched', await spiffeCsr()) });
    await api.patchNamespacedCustomObject(
      { ...CR, namespace: 'cw', name: 'watched', body: { metadata: { labels: { seen: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(() => (events.length === 2 ? true : undefined));
    expect(events).toEqual(['ADDED:watched', 'MODIFIED:watched']);
    sim.faults.dropWatches();
    await eventually(() => (ended ? true : undefined));
    req.abort();
  });

  it('an informer lists, watches and relists after a compaction and dropped watches', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'ci', body: { metadata: { name: 'first' } } });
    const informer = makeInformer(kc, '/api/v1/namespaces/ci/configmaps', () => core.listNamespacedConfigMap({ namespace: 'ci' }));
    const added: string[] = [];
    informer.on('add', (o) => added.push(o.metadata!.name!));
    informer.on('error', () => setTimeout(() => void informer.start(), 50));
    await informer.start();
    await eventually(() => (added.includes('first') ? true : undefined));
    sim.faults.compact();
    sim.faults.dropWatches();
    await core.createNamespacedConfigMap({ namespace: 'ci', body: { metadata: { name: 'second' } } });
    await eventually(() => (added.includes('second') ? true : undefined));
    expect(informer.list().map((o) => o.metadata?.name).sort()).toEqual(['first', 'second']);
    await informer.stop();
  });
});
