// Integration: the gateway and SvidIssuer against kube-sim (HTTP API, cert-manager webhook) with
// its CA issuer, plus a tiny approver here (the real one is apps/approver).
import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import {
  CertificateRequestApi, KubeConnection, setCondition, type CertificateRequest as KubeCr, type Informer,
} from '@spiffe-csi/kubernetes';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCaIssuerSim, type CaIssuerSim } from '../../../../test/kube-sim/ca-issuer';
import { startKubeSim, type KubeSim } from '../../../../test/kube-sim/index';
import { expectCsiError } from '../volume/testing/harness';
import { KubeCertificateRequestGateway } from './kube-request-gateway';
import { volumeSelector } from './labels';
import { PendingRequests } from './pending-requests';
import { StaticIssuerSource } from './static-issuer-source';
import { SvidIssuer, type IssuanceTarget } from './svid-issuer';

type Verdict = 'approve' | 'deny' | 'ignore';

/** Approves (or denies) every new request through /status, as the approver would. */
function startApprover(api: CertificateRequestApi, verdict: () => Verdict): Informer<KubeCr> {
  const informer = api.informer();
  informer.addHandlers({
    onAdd: (cr) => {
      const v = verdict();
      if (v === 'ignore' || cr.status?.conditions?.some((c) => c.type === 'Approved' || c.type === 'Denied')) return;
      const condition = v === 'approve'
        ? { type: 'Approved', status: 'True' as const, reason: 'spiffe.csi.cert-manager.io', message: 'ok' }
        : { type: 'Denied', status: 'True' as const, reason: 'spiffe.csi.cert-manager.io', message: 'wrong ServiceAccount' };
      void api.updateStatus(cr.metadata.namespace!, cr.metadata.name!, (c) => setCondition(c, condition)).catch(() => undefined);
    },
  });
  informer.start();
  return informer;
}

describe('KubeCertificateRequestGateway + SvidIssuer on kube-sim', () => {
  let sim: KubeSim;
  let ca: CaIssuerSim;
  let admin: KubeConnection;
  let approver: Informer<KubeCr>;
  let verdict: Verdict = 'approve';
  let gateway: KubeCertificateRequestGateway;
  const target = (): IssuanceTarget => ({
    volumeId: 'vol-1', namespace: 'team-a', spiffeId: 'spiffe://cluster.local/ns/team-a/sa/web',
    token: sim.serviceAccountToken('team-a', 'web', { podName: 'web-0', podUid: 'uid-1' }), podName: 'web-0', podUid: 'uid-1',
  });
  const issuer = (timeoutMs = 5_000) => new SvidIssuer(
    { nodeId: 'node-1', keyAlgorithm: 'ecdsa-p256', duration: '1h', issuanceTimeoutMs: timeoutMs, extraAnnotations: {} },
    gateway, new StaticIssuerSource({ name: 'spiffe-ca' }), new PendingRequests(), pino({ level: 'silent' }));

  beforeAll(async () => {
    sim = await startKubeSim({ bookmarkIntervalMs: 200 });
    ca = await startCaIssuerSim({ url: sim.url, token: sim.adminToken, issuerName: 'spiffe-ca' });
    admin = KubeConnection.load({ kubeconfig: sim.writeKubeconfig(sim.adminToken) });
    approver = startApprover(new CertificateRequestApi(admin), () => verdict);
    gateway = new KubeCertificateRequestGateway(admin, { nodeId: 'node-1' });
  });
  afterAll(async () => {
    await gateway.onModuleDestroy();
    approver.stop();
    await ca.stop();
    admin.close();
    await sim.close();
  });
  beforeEach(() => {
    verdict = 'approve';
    sim.faults.reset();
  });

  it('creates the request as the Pod ServiceAccount and returns the issued, verified SVID', async () => {
    const svid = await issuer().issue(target());
    const [namespace, name] = svid.requestName.split('/');
    const stored = await gateway.get(namespace, name);
    expect(stored?.spec.username).toBe('system:serviceaccount:team-a:web');
    expect(svid.chainPem).toContain('BEGIN CERTIFICATE');
    expect(await gateway.list('team-a', volumeSelector('node-1', 'vol-1'))).toHaveLength(1);
  });

  it('carries a denial and keeps waiting through dropped watches', async () => {
    verdict = 'deny';
    const denied = await expectCsiError(issuer().issue(target()));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.message).toMatch(/was denied: wrong ServiceAccount$/);

    verdict = 'ignore';
    const slow = issuer();
    const result = slow.issue(target());
    await new Promise((r) => setTimeout(r, 300));
    sim.faults.dropWatches();
    const pending = (await gateway.list('team-a', volumeSelector('node-1', 'vol-1')))
      .find((cr) => !cr.status?.conditions?.length)!;
    const api = new CertificateRequestApi(admin);
    await api.updateStatus('team-a', pending.metadata.name!, (c) =>
      setCondition(c, { type: 'Approved', status: 'True', reason: 'test', message: 'late' }));
    await expect(result).resolves.toMatchObject({ requestName: `team-a/${pending.metadata.name}` });
  });

  it('deletes with its own credentials; NotFound is fine', async () => {
    const svid = await issuer().issue(target());
    const [namespace, name] = svid.requestName.split('/');
    await gateway.delete(namespace, name);
    await gateway.delete(namespace, name);
    expect(await gateway.get(namespace, name)).toBeUndefined();
  });
});
