import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateRequestApi,
  isAlreadyExists,
  isConflict,
  isNotFound,
  setCondition,
  type CertificateRequest,
} from '@spiffe-csi/kubernetes';
import { newRequest, startSimWithConnection, type SimContext } from './helpers';

let ctx: SimContext;
let api: CertificateRequestApi;

beforeAll(async () => {
  ctx = await startSimWithConnection();
  api = new CertificateRequestApi(ctx.conn);
});
afterAll(() => ctx.close());

const approve = (cr: CertificateRequest) =>
  setCondition(cr, {
    type: 'Approved',
    status: 'True',
    reason: 'spiffe.csi.cert-manager.io',
    message: 'ok',
  });

describe('CertificateRequestApi against kube-sim', () => {
  it('creates, gets, lists by namespace and label, and deletes', async () => {
    const created = await api.create('crud', newRequest('one', { app: 'x' }));
    expect(created).toMatchObject({
      apiVersion: 'cert-manager.io/v1',
      kind: 'CertificateRequest',
      metadata: { name: 'one', namespace: 'crud' },
    });
    expect(created.spec.username).toBe('kube-admin');
    await api.create('crud', newRequest('two', { app: 'y' }));
    await api.create('other', newRequest('three', { app: 'x' }));

    expect((await api.get('crud', 'one')).metadata.uid).toBe(created.metadata.uid);
    expect((await api.list({ namespace: 'crud' })).map((c) => c.metadata.name).sort()).toEqual([
      'one',
      'two',
    ]);
    const labelled = await api.list({ labelSelector: 'app=x' });
    expect(labelled.map((c) => `${c.metadata.namespace}/${c.metadata.name}`).sort()).toEqual([
      'crud/one',
      'other/three',
    ]);
    expect(labelled.every((c) => c.kind === 'CertificateRequest')).toBe(true);

    await api.delete('crud', 'one');
    await expect(api.delete('crud', 'one')).resolves.toBeUndefined();
    const err = await api.get('crud', 'one').catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
  });

  it('reports AlreadyExists with the Status reason and message', async () => {
    await api.create('dup', newRequest('same'));
    const err = await api.create('dup', newRequest('same')).catch((e: unknown) => e);
    expect(isAlreadyExists(err)).toBe(true);
    expect(err).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  });

  it('asBearerToken creates the request as the Pod ServiceAccount', async () => {
    const token = ctx.sim.serviceAccountToken('team-a', 'app');
    const asPod = new CertificateRequestApi(ctx.conn.asBearerToken(token));
    const cr = await asPod.create('team-a', newRequest('from-pod'));
    expect(cr.spec.username).toBe('system:serviceaccount:team-a:app');
    const last = ctx.sim.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/certificaterequests'))
      .at(-1);
    expect(last?.user).toBe('system:serviceaccount:team-a:app');
  });

  it('updateStatus re-reads and re-applies the mutation after injected 409s', async () => {
    await api.create('status', newRequest('conflicted'));
    ctx.sim.faults.conflictNextStatusWrites(2);
    const seenVersions: string[] = [];
    const written = await api.updateStatus('status', 'conflicted', (cr) => {
      seenVersions.push(cr.metadata.resourceVersion!);
      return approve(cr);
    });
    expect(seenVersions).toHaveLength(3);
    expect(written?.status?.conditions?.map((c) => c.type)).toEqual(['Approved']);
    const stored = await api.get('status', 'conflicted');
    expect(stored.status?.conditions?.[0]).toMatchObject({ type: 'Approved', status: 'True' });
  });

  it('updateStatus starts from a stale cached copy and recovers from the real conflict', async () => {
    const stale = await api.create('status', newRequest('stale'));
    await api.updateStatus('status', 'stale', (cr) =>
      setCondition(cr, { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting' }),
    );
    const written = await api.updateStatus('status', 'stale', approve, { current: stale });
    // The re-applied mutation must keep what the other writer stored.
    expect(written?.status?.conditions?.map((c) => c.type).sort()).toEqual(['Approved', 'Ready']);
  });

  it('updateStatus leaves the current object it was given untouched', async () => {
    const current = await api.create('status', newRequest('cached'));
    const snapshot = JSON.stringify(current);
    // Returning the argument itself must not let the resourceVersion stamp leak into it.
    await api.updateStatus('status', 'cached', (cr) => cr, { current });
    const written = await api.updateStatus('status', 'cached', approve, { current });
    expect(JSON.stringify(current)).toBe(snapshot);
    expect(written?.status?.conditions?.map((c) => c.type)).toEqual(['Approved']);
  });

  it('updateStatus writes nothing when the mutation declines', async () => {
    await api.create('status', newRequest('untouched'));
    const before = ctx.sim.requests.length;
    await expect(api.updateStatus('status', 'untouched', () => undefined)).resolves.toBeUndefined();
    expect(ctx.sim.requests.slice(before).filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('updateStatus gives up after bounded retries with a Conflict error', async () => {
    await api.create('status', newRequest('hopeless'));
    const limited = new CertificateRequestApi(ctx.conn, { maxConflictRetries: 2 });
    ctx.sim.faults.conflictNextStatusWrites(10);
    let calls = 0;
    const err = await limited
      .updateStatus('status', 'hopeless', (cr) => {
        calls++;
        return approve(cr);
      })
      .catch((e: unknown) => e);
    ctx.sim.faults.reset();
    expect(isConflict(err)).toBe(true);
    expect(calls).toBe(3);
  });
});
