import 'reflect-metadata';
import type {
  CertificateRequest,
  CertificateRequestApi,
  Informer,
  InformerHandlers,
} from '@spiffe-csi/kubernetes';
import pino from 'pino';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateRequest, driverCsr, spiffeIdOf } from '../../../../test/approver/fixtures';
import { ApprovalReconciler } from './approval-reconciler';
import { ApproverMetrics } from './approver-metrics';
import { RuntimeIssuerSource } from '@spiffe-csi/kubernetes';

const FLAG_ISSUER = { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };
let csrPem: string;
beforeAll(async () => {
  csrPem = await driverCsr(spiffeIdOf('sandbox', 'app'));
});

/** An in-memory informer and API: enough of their surface for the reconciler. */
function harness(opts: { leader?: boolean; autoApproveNonSpiffe?: boolean } = {}) {
  const objects = new Map<string, CertificateRequest>();
  const handlers: InformerHandlers<CertificateRequest>[] = [];
  const informer = {
    addHandlers: (h: InformerHandlers<CertificateRequest>) => handlers.push(h),
    list: () => [...objects.values()],
    getByKey: (key: string) => objects.get(key),
  } as unknown as Informer<CertificateRequest>;
  const writes: CertificateRequest[] = [];
  /** What the API server holds, when it differs from the cache (a concurrent writer). */
  const server = new Map<string, CertificateRequest>();
  const api = {
    updateStatus: async (
      ns: string,
      name: string,
      mutate: (cr: CertificateRequest) => CertificateRequest | undefined,
      o: { current?: CertificateRequest },
    ) => {
      const fresh = server.get(`${ns}/${name}`) ?? o.current!;
      const out = mutate(structuredClone(fresh));
      if (out) writes.push(out);
      return out;
    },
  } as unknown as CertificateRequestApi;
  const logger = pino({ level: 'silent' });
  const issuerRefs = new RuntimeIssuerSource(FLAG_ISSUER, logger);
  let leader = opts.leader ?? true;
  const registry = new Registry();
  const reconciler = new ApprovalReconciler({
    informer,
    api,
    issuerRefs,
    policy: {
      trustDomain: 'cluster.local',
      durationMs: 3_600_000,
      keyAlgorithm: 'ecdsa-p521',
      autoApproveNonSpiffe: opts.autoApproveNonSpiffe,
    },
    metrics: new ApproverMetrics(registry),
    logger,
    isLeader: () => leader,
  });
  let uid = 0;
  const add = (
    overrides: Partial<ReturnType<typeof certificateRequest>['spec']> = {},
    status?: CertificateRequest['status'],
  ) => {
    const cr = certificateRequest({ csrPem, name: `r${++uid}` }) as unknown as CertificateRequest;
    cr.metadata.uid = `uid-${uid}`;
    Object.assign(cr.spec, overrides);
    if (status) cr.status = status;
    objects.set(`sandbox/${cr.metadata.name}`, cr);
    handlers.forEach((h) => h.onAdd?.(cr));
    return cr;
  };
  const update = (cr: CertificateRequest) => handlers.forEach((h) => h.onUpdate?.(cr, cr));
  return {
    reconciler,
    add,
    update,
    writes,
    server,
    registry,
    setLeader: (v: boolean) => (leader = v),
  };
}

describe('ApprovalReconciler', () => {
  it('writes one Approved condition per pending request, even with repeated events', async () => {
    const h = harness();
    const cr = h.add();
    h.update(cr);
    h.update(cr);
    await h.reconciler.idle();
    h.update(cr); // a late event for the same, still-cached undecided object
    await h.reconciler.idle();
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0].status?.conditions).toEqual([
      expect.objectContaining({
        type: 'Approved',
        status: 'True',
        reason: 'spiffe.csi.cert-manager.io',
        message: 'Approved request',
      }),
    ]);
    expect(
      await h.registry.getSingleMetricAsString('certmanager_csi_spiffe_approver_decisions_total'),
    ).toContain('result="approved",reason="none"} 1');
  });

  it('does nothing while not leader, then decides everything pending on becoming leader', async () => {
    const h = harness({ leader: false });
    h.add();
    h.add({ duration: '2h' });
    await h.reconciler.idle();
    expect(h.writes).toHaveLength(0);
    h.setLeader(true);
    h.reconciler.enqueueAllPending();
    await h.reconciler.idle();
    expect(h.writes.map((w) => w.status?.conditions?.[0].type).sort()).toEqual([
      'Approved',
      'Denied',
    ]);
    expect(h.writes.find((w) => w.spec.duration === '2h')?.status?.conditions?.[0].message).toBe(
      'Denied request: spec.duration must be 1h0m0s, got "2h"',
    );
  });

  it('never touches other issuers or requests already decided', async () => {
    const h = harness();
    h.add({ issuerRef: { name: 'other', kind: 'ClusterIssuer', group: 'cert-manager.io' } });
    h.add({}, { conditions: [{ type: 'Approved', status: 'True', reason: 'Someone' }] });
    h.add({}, { conditions: [{ type: 'Denied', status: 'False', reason: 'Odd' }] });
    const pending = h.add();
    await h.reconciler.idle();
    expect(h.writes.map((w) => w.metadata.name)).toEqual([pending.metadata.name]);
  });

  it('writes nothing when the server copy was decided meanwhile or replaced by a new request', async () => {
    const h = harness({ leader: false });
    const a = h.add();
    const b = h.add();
    h.server.set(`sandbox/${a.metadata.name}`, {
      ...a,
      status: { conditions: [{ type: 'Denied', status: 'True', reason: 'Other' }] },
    });
    h.server.set(`sandbox/${b.metadata.name}`, {
      ...b,
      metadata: { ...b.metadata, uid: 'someone-new' },
    });
    h.setLeader(true);
    h.reconciler.enqueueAllPending();
    await h.reconciler.idle();
    expect(h.writes).toHaveLength(0);
  });

  it('decides requests for other issuers only with --auto-approve-non-spiffe', async () => {
    const otherIssuer = {
      issuerRef: { name: 'acme', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    };
    const plain = harness();
    plain.add(otherIssuer);
    await plain.reconciler.idle();
    expect(plain.writes).toHaveLength(0);

    const auto = harness({ autoApproveNonSpiffe: true });
    auto.add(otherIssuer); // its CSR carries the driver's spiffe:// URI
    await auto.reconciler.idle();
    expect(auto.writes.map((w) => w.status?.conditions?.[0]?.message)).toEqual([
      'Denied request: non-SPIFFE certificate request contains SPIFFE URI SAN',
    ]);
    expect(
      await auto.registry.getSingleMetricAsString(
        'certmanager_csi_spiffe_approver_decisions_total',
      ),
    ).toContain('result="denied",reason="non-spiffe-uri"} 1');
  });
});
