import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index';
import { PlainKubeClient } from './kube-client';
import { approvedCondition, certificateRequest, CR_PATH, spiffeCsr } from './test-support';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let sim: KubeSim;
let kube: PlainKubeClient;
let csr: string;

beforeAll(async () => {
  sim = await startKubeSim();
  kube = new PlainKubeClient({ url: sim.url, token: sim.adminToken });
  csr = await spiffeCsr();
});
afterAll(async () => {
  kube.close();
  await sim.close();
});

describe('CRUD and server-set metadata', () => {
  it('creates with uid, resourceVersion, creationTimestamp and generation, then reads it back', async () => {
    const created = await kube.request<Obj>('POST', CR_PATH('crud'), certificateRequest('one', csr));
    expect(created.status).toBe(201);
    const meta = created.body.metadata;
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.resourceVersion).toMatch(/^\d+$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(meta.generation).toBe(1);
    expect(meta.namespace).toBe('crud');
    const got = await kube.request<Obj>('GET', CR_PATH('crud', 'one'));
    expect(got.body).toEqual(created.body);
    expect(sim.store.get('certificaterequests', 'crud', 'one')?.metadata.uid).toBe(meta.uid);
    expect(sim.store.get('namespaces', undefined, 'crud')).toBeDefined(); // auto-created namespace
  });

  it('resourceVersion is one global increasing counter across resources', async () => {
    const a = await kube.request<Obj>('POST', '/api/v1/namespaces/crud/configmaps', { metadata: { name: 'a' } });
    const b = await kube.request<Obj>('POST', '/apis/coordination.k8s.io/v1/namespaces/crud/leases', { metadata: { name: 'b' }, spec: {} });
    expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(Number(a.body.metadata.resourceVersion));
    expect(sim.store.resourceVersion()).toBe(b.body.metadata.resourceVersion);
  });

  it('supports generateName', async () => {
    const res = await kube.request<Obj>('POST', '/api/v1/namespaces/crud/configmaps', { metadata: { generateName: 'gen-' } });
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('answers 409 AlreadyExists with a real Status body', async () => {
    await kube.request('POST', CR_PATH('crud'), certificateRequest('dup', csr));
    const res = await kube.request<Obj>('POST', CR_PATH('crud'), certificateRequest('dup', csr));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'certificaterequests.cert-manager.io "dup" already exists', reason: 'AlreadyExists',
      details: { name: 'dup', group: 'cert-manager.io', kind: 'certificaterequests' }, code: 409,
    });
  });

  it('answers 404 NotFound for a missing object and an unknown path', async () => {
    const res = await kube.request<Obj>('GET', CR_PATH('crud', 'missing'));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, message: 'certificaterequests.cert-manager.io "missing" not found' });
    expect((await kube.request('GET', '/apis/nope.io/v1/things')).status).toBe(404);
  });

  it('rejects bad bodies: 400 for unparsable JSON or wrong kind, 422 for a missing name', async () => {
    const bad = await kube.request<Obj>('POST', '/api/v1/namespaces/crud/configmaps', undefined);
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe('BadRequest');
    const wrongKind = await kube.request<Obj>('POST', '/api/v1/namespaces/crud/configmaps', { kind: 'Secret', metadata: { name: 'x' } });
    expect(wrongKind.status).toBe(400);
    const noName = await kube.request<Obj>('POST', '/api/v1/namespaces/crud/configmaps', { metadata: {} });
    expect(noName.status).toBe(422);
    expect(noName.body.reason).toBe('Invalid');
  });

  it('DELETE answers 200 with a Success Status (as the real server does) and a later GET is 404', async () => {
    const created = (await kube.request<Obj>('POST', '/api/v1/namespaces/crud/configmaps', { metadata: { name: 'gone' } })).body;
    const del = await kube.request<Record<string, unknown>>('DELETE', '/api/v1/namespaces/crud/configmaps/gone');
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone', kind: 'configmaps', uid: created.metadata.uid } });
    expect((await kube.request('GET', '/api/v1/namespaces/crud/configmaps/gone')).status).toBe(404);
  });

  it('names custom resources "<plural>.<group>" in Invalid messages, as the real server does', async () => {
    const created = (await kube.request<Obj>('POST', CR_PATH('crud'), certificateRequest('unconditional', csr))).body;
    delete created.metadata.resourceVersion;
    const res = await kube.request<Obj>('PUT', `${CR_PATH('crud')}/unconditional`, created);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('certificaterequests.cert-manager.io "unconditional" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
  });

  it('rejects a core Event whose involvedObject lives in another namespace (422, like the real server)', async () => {
    const event = (name: string, namespace: string) => ({ metadata: { name }, involvedObject: { kind: 'Pod', name: 'p', namespace }, reason: 'R', message: 'm' });
    const elsewhere = await kube.request<Obj>('POST', '/api/v1/namespaces/crud/events', event('elsewhere', 'other'));
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.message).toBe('Event "elsewhere" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
    expect((await kube.request('POST', '/api/v1/namespaces/crud/events', event('here', 'crud'))).status).toBe(201);
  });

  it('keeps an object with finalizers until the last finalizer is removed', async () => {
    await kube.request('POST', '/api/v1/namespaces/crud/configmaps', { metadata: { name: 'fin', finalizers: ['x/y'] } });
    const del = await kube.request<Obj>('DELETE', '/api/v1/namespaces/crud/configmaps/fin');
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    await kube.request('PATCH', '/api/v1/namespaces/crud/configmaps/fin', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await kube.request('GET', '/api/v1/namespaces/crud/configmaps/fin')).status).toBe(404);
  });
});

describe('optimistic concurrency and the status subresource', () => {
  it('a PUT with a stale resourceVersion gets 409 Conflict with the real message', async () => {
    const created = (await kube.request<Obj>('POST', CR_PATH('occ'), certificateRequest('x', csr))).body;
    const labelled = { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } };
    expect((await kube.request('PUT', CR_PATH('occ', 'x'), labelled)).status).toBe(200);
    const stale = await kube.request<Obj>('PUT', CR_PATH('occ', 'x'), labelled);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict', code: 409, details: { name: 'x', group: 'cert-manager.io', kind: 'certificaterequests' },
      message: 'Operation cannot be fulfilled on certificaterequests.cert-manager.io "x": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('a custom-resource PUT without resourceVersion is 422; a ConfigMap PUT without one is allowed', async () => {
    const created = (await kube.request<Obj>('POST', CR_PATH('occ'), certificateRequest('norv', csr))).body;
    const { resourceVersion: _rv, ...meta } = created.metadata;
    expect((await kube.request('PUT', CR_PATH('occ', 'norv'), { ...created, metadata: meta })).status).toBe(422);
    await kube.request('POST', '/api/v1/namespaces/occ/configmaps', { metadata: { name: 'cm' } });
    const put = await kube.request<Obj>('PUT', '/api/v1/namespaces/occ/configmaps/cm', { metadata: { name: 'cm' }, data: { a: '1' } });
    expect(put.status).toBe(200);
    expect(put.body.data).toEqual({ a: '1' });
  });

  it('PUT /status changes only status; a normal PUT ignores status; create drops status', async () => {
    const body = { ...certificateRequest('st', csr), status: { conditions: [approvedCondition()] } };
    const created = (await kube.request<Obj>('POST', CR_PATH('occ'), body)).body;
    expect(created.status).toBeUndefined();

    const statusWrite = {
      ...created, metadata: { ...created.metadata, labels: { changed: 'yes' } },
      status: { conditions: [approvedCondition()] },
    };
    const afterStatus = (await kube.request<Obj>('PUT', `${CR_PATH('occ', 'st')}/status`, statusWrite)).body;
    expect(afterStatus.status.conditions[0].type).toBe('Approved');
    expect(afterStatus.metadata.labels).toEqual({ app: 'demo' });

    const mainWrite = { ...afterStatus, metadata: { ...afterStatus.metadata, labels: { changed: 'yes' } }, status: {} };
    const afterMain = (await kube.request<Obj>('PUT', CR_PATH('occ', 'st'), mainWrite)).body;
    expect(afterMain.metadata.labels).toEqual({ changed: 'yes' });
    expect(afterMain.status.conditions[0].type).toBe('Approved');
    expect(afterMain.metadata.generation).toBe(1); // labels are metadata: no generation bump
  });

  it('a no-op update keeps the resourceVersion', async () => {
    const created = (await kube.request<Obj>('POST', '/api/v1/namespaces/occ/configmaps', { metadata: { name: 'same' }, data: { a: '1' } })).body;
    const again = (await kube.request<Obj>('PUT', '/api/v1/namespaces/occ/configmaps/same', created)).body;
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('a /status write equal up to key order is a no-op; a changed one is stored', async () => {
    const created = (await kube.request<Obj>('POST', CR_PATH('occ'), certificateRequest('noop', csr))).body;
    const path = `${CR_PATH('occ', 'noop')}/status`;
    // One condition object: two approvedCondition() calls straddling a second differ in
    // lastTransitionTime, and a modified Approved condition is refused (the test then flaked).
    const approval = approvedCondition();
    const approved = (await kube.request<Obj>('PUT', path, { ...created, status: { conditions: [approval] } })).body;
    const reordered = Object.fromEntries(Object.entries(approval).reverse());
    const again = (await kube.request<Obj>('PUT', path, { ...approved, status: { conditions: [reordered] } })).body;
    expect(again.metadata.resourceVersion).toBe(approved.metadata.resourceVersion);
    const ready = { type: 'Ready', status: 'False', reason: 'Pending' };
    const changed = (await kube.request<Obj>('PUT', path, { ...approved, status: { conditions: [approval, ready] } })).body;
    expect(Number(changed.metadata.resourceVersion)).toBeGreaterThan(Number(approved.metadata.resourceVersion));
  });

  it('bumps generation on spec change (Pod) and not on status writes', async () => {
    const pod = (await kube.request<Obj>('POST', '/api/v1/namespaces/occ/pods', { metadata: { name: 'p' }, spec: { nodeName: 'a' } })).body;
    expect(pod.status).toEqual({ phase: 'Pending' });
    const moved = (await kube.request<Obj>('PATCH', '/api/v1/namespaces/occ/pods/p', { spec: { nodeName: 'b' } }, 'application/strategic-merge-patch+json')).body;
    expect(moved.metadata.generation).toBe(2);
    const running = (await kube.request<Obj>('PATCH', '/api/v1/namespaces/occ/pods/p/status', { status: { phase: 'Running' }, spec: { nodeName: 'c' } }, 'application/merge-patch+json')).body;
    expect(running.status.phase).toBe('Running');
    expect(running.spec.nodeName).toBe('b');
    expect(running.metadata.generation).toBe(2);
  });

  it('json-patch works, a failed test op is 422 and an unknown patch type is 415', async () => {
    await kube.request('POST', '/api/v1/namespaces/occ/configmaps', { metadata: { name: 'jp' }, data: { a: '1' } });
    const path = '/api/v1/namespaces/occ/configmaps/jp';
    const ok = await kube.request<Obj>('PATCH', path, [{ op: 'test', path: '/data/a', value: '1' }, { op: 'add', path: '/data/b', value: '2' }], 'application/json-patch+json');
    expect(ok.body.data).toEqual({ a: '1', b: '2' });
    expect((await kube.request('PATCH', path, [{ op: 'test', path: '/data/a', value: 'x' }], 'application/json-patch+json')).status).toBe(422);
    expect((await kube.request('PATCH', path, {}, 'application/apply-patch+yaml')).status).toBe(415);
  });

  it('a merge patch carrying a stale resourceVersion is a 409', async () => {
    const cm = (await kube.request<Obj>('POST', '/api/v1/namespaces/occ/configmaps', { metadata: { name: 'mp' } })).body;
    await kube.request('PATCH', '/api/v1/namespaces/occ/configmaps/mp', { data: { a: '1' } }, 'application/merge-patch+json');
    const res = await kube.request('PATCH', '/api/v1/namespaces/occ/configmaps/mp', { metadata: { resourceVersion: cm.metadata.resourceVersion }, data: { a: '2' } }, 'application/merge-patch+json');
    expect(res.status).toBe(409);
  });
});

describe('list', () => {
  beforeAll(async () => {
    const make = (ns: string, name: string, labels: Record<string, string>) =>
      kube.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name, labels } });
    await make('l1', 'la', { tier: 'web', env: 'prod' });
    await make('l1', 'lb', { tier: 'db', env: 'prod' });
    await make('l2', 'lc', { tier: 'web' });
  });
  const names = async (path: string) => ((await kube.request<Obj>('GET', path)).body.items as Obj[]).map((i) => i.metadata.name);

  it('returns a typed List with the current resourceVersion', async () => {
    const res = await kube.request<Obj>('GET', '/api/v1/namespaces/l1/configmaps');
    expect(res.body.kind).toBe('ConfigMapList');
    expect(res.body.metadata.resourceVersion).toBe(sim.store.resourceVersion());
    expect(res.body.items.map((i: Obj) => i.metadata.name)).toEqual(['la', 'lb']);
  });

  it.each([
    ['tier=web', ['la', 'lc']],
    ['tier==web', ['la', 'lc']],
    ['tier!=web', ['lb']],
    ['tier in (db,cache)', ['lb']],
    ['tier notin (db)', ['la', 'lc']],
    ['env', ['la', 'lb']],
    ['!env', ['lc']],
    ['tier=web,env=prod', ['la']],
  ])('labelSelector %s', async (selector, expected) => {
    const all = await names(`/api/v1/configmaps?labelSelector=${encodeURIComponent(selector)}`);
    expect(all.filter((n: string) => ['la', 'lb', 'lc'].includes(n))).toEqual(expected);
  });

  it('fieldSelector on metadata.name / metadata.namespace, 400 for an unsupported field', async () => {
    expect(await names('/api/v1/configmaps?fieldSelector=metadata.name%3Dlb')).toEqual(['lb']);
    expect(await names('/api/v1/configmaps?fieldSelector=metadata.namespace%3Dl2')).toEqual(['lc']);
    expect((await kube.request('GET', '/api/v1/configmaps?fieldSelector=data.x%3Dy')).status).toBe(400);
    expect((await kube.request('GET', '/api/v1/configmaps?labelSelector=%3D%3D%3D')).status).toBe(400);
  });
});

describe('discovery', () => {
  it('serves /api, /apis, /apis/cert-manager.io/v1 and /version', async () => {
    expect((await kube.request<Obj>('GET', '/api')).body.versions).toEqual(['v1']);
    const groups = (await kube.request<Obj>('GET', '/apis')).body.groups.map((g: Obj) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['cert-manager.io', 'coordination.k8s.io']));
    const cm = (await kube.request<Obj>('GET', '/apis/cert-manager.io/v1')).body;
    expect(cm.resources.map((r: Obj) => r.name)).toEqual(['certificaterequests', 'certificaterequests/status']);
    expect((await kube.request<Obj>('GET', '/version')).body.major).toBe('1');
  });
});
