// The shared request informer against kube-sim: per-key delivery, cached state for late
// subscribers, other nodes' requests ignored, and no lost change across dropped watches / 410.
import 'reflect-metadata';
import {
  CertificateRequestApi,
  KubeConnection,
  setCondition,
  type CertificateRequest as KubeCr,
} from '@spiffe-csi/kubernetes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../../../../test/kube-sim/index';
import { fnv1a32, NODE_ID_HASH_LABEL } from './labels';
import type { RequestWatchEvent } from './ports';
import { RequestWatchHub } from './request-watch-hub';
import { eventually } from '../../../../test/support/eventually';

const CSR = Buffer.from(
  '-----BEGIN CERTIFICATE REQUEST-----\nMA==\n-----END CERTIFICATE REQUEST-----\n',
).toString('base64');

describe('RequestWatchHub', () => {
  let sim: KubeSim;
  let admin: KubeConnection;
  let api: CertificateRequestApi;
  let hub: RequestWatchHub;
  let n = 0;

  const create = async (node: string) => {
    const body = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'CertificateRequest',
      metadata: {
        name: `cr-${n++}`,
        namespace: 'team-a',
        labels: { [NODE_ID_HASH_LABEL]: fnv1a32(node) },
      },
      spec: {
        request: CSR,
        issuerRef: { name: 'ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    };
    return (await api.create(
      'team-a',
      body as unknown as Parameters<CertificateRequestApi['create']>[1],
    )) as KubeCr;
  };
  const approve = (cr: KubeCr, message: string) =>
    api.updateStatus('team-a', cr.metadata.name!, (c) =>
      setCondition(c, { type: 'Approved', status: 'True', reason: 'test', message }),
    );
  const approvedMessages = (events: RequestWatchEvent[]) =>
    events.flatMap((e) =>
      e.type === 'changed'
        ? (e.request.status?.conditions ?? [])
            .filter((c) => c.type === 'Approved')
            .map((c) => c.message)
        : [],
    );

  beforeAll(async () => {
    sim = await startKubeSim({ bookmarkIntervalMs: 200 });
    admin = KubeConnection.load({ kubeconfig: sim.writeKubeconfig(sim.adminToken) });
    api = new CertificateRequestApi(admin);
    hub = new RequestWatchHub(admin, 'node-1');
  });
  afterAll(async () => {
    await hub.stop();
    admin.close();
    await sim.close();
  });

  it('delivers changes of the watched request only, until unsubscribed', async () => {
    const mine = await create('node-1');
    const other = await create('node-1');
    const events: RequestWatchEvent[] = [];
    const stop = hub.watch('team-a', mine.metadata.name!, (e) => events.push(e));
    await approve(other, 'other');
    await approve(mine, 'first');
    await eventually(() => approvedMessages(events).includes('first'), 20_000, 'the first approval');
    expect(approvedMessages(events)).not.toContain('other');
    stop();
    await api.updateStatus('team-a', mine.metadata.name!, (c) =>
      setCondition(c, { type: 'Ready', status: 'False', reason: 'Pending', message: 'after stop' }));
    await new Promise((r) => setTimeout(r, 200));
    expect(approvedMessages(events)).not.toContain('after stop');
  });

  it('hands a late subscriber the cached state, and ignores requests of other nodes', async () => {
    const mine = await create('node-1');
    const foreign = await create('node-2');
    await approve(mine, 'before subscribe');
    await approve(foreign, 'foreign');
    await new Promise((r) => setTimeout(r, 300));
    const events: RequestWatchEvent[] = [];
    const foreignEvents: RequestWatchEvent[] = [];
    hub.watch('team-a', mine.metadata.name!, (e) => events.push(e));
    hub.watch('team-a', foreign.metadata.name!, (e) => foreignEvents.push(e));
    await eventually(() => approvedMessages(events).includes('before subscribe'), 20_000, 'the approval made before subscribing');
    await new Promise((r) => setTimeout(r, 200));
    expect(foreignEvents).toEqual([]);
  });

  it('misses no change across dropped watches and a compacted history (410 Gone), and reports deletion', async () => {
    const mine = await create('node-1');
    const events: RequestWatchEvent[] = [];
    hub.watch('team-a', mine.metadata.name!, (e) => events.push(e));
    sim.faults.dropWatches();
    sim.faults.compact();
    await approve(mine, 'through the outage');
    await eventually(() => approvedMessages(events).includes('through the outage'), 20_000, 'the approval made during the outage');
    await api.delete('team-a', mine.metadata.name!);
    await eventually(() => events.some((e) => e.type === 'deleted'), 20_000, 'the deletion');
  });
});
