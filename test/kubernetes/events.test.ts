import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateRequestApi, EventRecorder } from '@spiffe-csi/kubernetes';
import { newRequest, startSimWithConnection, type SimContext } from './helpers';

let ctx: SimContext;
beforeAll(async () => {
  ctx = await startSimWithConnection();
});
afterAll(() => ctx.close());

type StoredEvent = {
  metadata: { name: string };
  involvedObject: Record<string, unknown>;
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component: string; host: string };
  firstTimestamp: string;
  lastTimestamp: string;
};
const events = (ns: string) => ctx.sim.store.list('events', ns) as unknown as StoredEvent[];

describe('EventRecorder against kube-sim', () => {
  it('records an Event for the object and aggregates repeats into count', async () => {
    const cr = await new CertificateRequestApi(ctx.conn).create('ev', newRequest('req'));
    const recorder = new EventRecorder(ctx.conn, {
      component: 'cert-manager-csi-driver-spiffe-approver',
      host: 'node-1',
    });
    await recorder.record(cr, 'Normal', 'Approved', 'request approved');
    await recorder.record(cr, 'Normal', 'Approved', 'request approved');
    await recorder.record(cr, 'Warning', 'Denied', 'something else');
    const stored = events('ev');
    expect(stored).toHaveLength(2);
    const approved = stored.find((e) => e.reason === 'Approved')!;
    expect(approved).toMatchObject({
      type: 'Normal',
      message: 'request approved',
      count: 2,
      source: { component: 'cert-manager-csi-driver-spiffe-approver', host: 'node-1' },
      involvedObject: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'CertificateRequest',
        name: 'req',
        namespace: 'ev',
        uid: cr.metadata.uid,
      },
    });
    expect(approved.metadata.name).toMatch(/^req\.[0-9a-f]+$/);
    expect(approved.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(stored.find((e) => e.reason === 'Denied')).toMatchObject({ type: 'Warning', count: 1 });
  });

  it('never throws: API errors and an unreachable server are only logged', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (_o: object, msg?: string) => warnings.push(msg ?? ''),
    };
    const recorder = new EventRecorder(ctx.conn, { component: 'c', logger });
    ctx.sim.faults.failRequests({
      status: 500,
      match: (m, p) => m === 'POST' && p.endsWith('/events'),
    });
    await expect(
      recorder.record({ kind: 'Pod', name: 'p', namespace: 'ev2' }, 'Warning', 'X', 'y'),
    ).resolves.toBeUndefined();
    expect(events('ev2')).toEqual([]);

    await ctx.sim.faults.goDown();
    await expect(
      recorder.record({ kind: 'Pod', name: 'p', namespace: 'ev2' }, 'Normal', 'X', 'y'),
    ).resolves.toBeUndefined();
    await ctx.sim.faults.comeUp();
    expect(warnings).toEqual(['failed to record event', 'failed to record event']);
  });

  it('puts events for cluster-scoped objects into the default namespace', async () => {
    const recorder = new EventRecorder(ctx.conn, { component: 'c' });
    await recorder.record(
      { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
      'Normal',
      'Seen',
      'hello',
    );
    expect(events('default').filter((e) => e.reason === 'Seen')).toHaveLength(1);
  });
});
