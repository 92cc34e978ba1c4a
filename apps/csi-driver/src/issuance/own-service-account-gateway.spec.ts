// Integration: --use-own-service-account's gateway with SvidIssuer against kube-sim (TokenReview,
// cert-manager webhook) and its CA issuer; an approve-all stand-in for the approver.
import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import {
  CertificateRequestApi, KubeConnection, setCondition, type Informer, type CertificateRequest as KubeCr,
} from '@spiffe-csi/kubernetes';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaIssuerSim, type CaIssuerSim } from '../../../../test/kube-sim/ca-issuer';
import { startKubeSim, type KubeSim } from '../../../../test/kube-sim/index';
import { expectCsiError } from '../volume/testing/harness';
import { KubeCertificateRequestGateway } from './kube-request-gateway';
import { OwnServiceAccountGateway } from './own-service-account-gateway';
import { PendingRequests } from './pending-requests';
import { StaticIssuerSource } from './static-issuer-source';
import { SvidIssuer, type IssuanceTarget } from './svid-issuer';

const DRIVER_USER = 'system:serviceaccount:cert-manager:cert-manager-csi-driver-spiffe';

/** A token with the victim's claims and a signature nobody made: what a socket caller can forge. */
function forgedToken(namespace: string, serviceAccount: string, pod: { name: string; uid: string }): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [part({ alg: 'RS256', kid: 'x' }), part({
    iss: 'https://kubernetes.default.svc.cluster.local', aud: ['https://kubernetes.default.svc.cluster.local'],
    exp: now + 3600, nbf: now, sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
    'kubernetes.io': { namespace, pod, serviceaccount: { name: serviceAccount, uid: 'forged' } },
  }), Buffer.from('not a signature').toString('base64url')].join('.');
}

describe('OwnServiceAccountGateway + SvidIssuer on kube-sim', () => {
  let sim: KubeSim;
  let ca: CaIssuerSim;
  let driver: KubeConnection;
  let approver: Informer<KubeCr>;
  let gateway: OwnServiceAccountGateway;
  const POD = { name: 'web-0', uid: 'uid-1' };
  const target = (token: string): IssuanceTarget => ({
    volumeId: 'vol-1', namespace: 'team-a', spiffeId: 'spiffe://cluster.local/ns/team-a/sa/web', token,
    podName: POD.name, podUid: POD.uid,
  });
  const issuer = () => new SvidIssuer(
    { nodeId: 'node-1', keyAlgorithm: 'ecdsa-p256', duration: '1h', issuanceTimeoutMs: 5_000, extraAnnotations: {} },
    gateway, new StaticIssuerSource({ name: 'spiffe-ca' }), new PendingRequests(), pino({ level: 'silent' }));
  const requestsIn = async (ns: string) => (await new CertificateRequestApi(driver).list({ namespace: ns })).length;

  beforeAll(async () => {
    sim = await startKubeSim({ bookmarkIntervalMs: 200 });
    ca = await startCaIssuerSim({ url: sim.url, token: sim.adminToken, issuerName: 'spiffe-ca' });
    sim.addUser('driver-token', { username: DRIVER_USER, groups: ['system:serviceaccounts'] });
    driver = KubeConnection.load({ kubeconfig: sim.writeKubeconfig('driver-token') });
    const api = new CertificateRequestApi(KubeConnection.load({ kubeconfig: sim.writeKubeconfig(sim.adminToken) }));
    approver = api.informer();
    approver.addHandlers({
      onAdd: (cr) => void api.updateStatus(cr.metadata.namespace!, cr.metadata.name!, (c) =>
        setCondition(c, { type: 'Approved', status: 'True', reason: 'test', message: 'ok' })).catch(() => undefined),
    });
    approver.start();
    gateway = new OwnServiceAccountGateway(new KubeCertificateRequestGateway(driver, { nodeId: 'node-1' }), driver);
  });
  afterAll(async () => {
    await gateway.onModuleDestroy();
    approver.stop();
    await ca.stop();
    driver.close();
    await sim.close();
  });

  it("creates the request as the driver after the Pod's token passed review, and issues the SVID", async () => {
    const svid = await issuer().issue(target(sim.serviceAccountToken('team-a', 'web', { podName: POD.name, podUid: POD.uid })));
    const [namespace, name] = svid.requestName.split('/');
    const stored = await gateway.get(namespace, name);
    expect(stored?.spec.username).toBe(DRIVER_USER);
    expect(stored?.metadata.annotations?.['spiffe.csi.cert-manager.io/identity']).toBe('spiffe://cluster.local/ns/team-a/sa/web');
    expect(sim.requests.some((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews' && r.user === DRIVER_USER)).toBe(true);
  });

  it.each([
    ['a forged token with the victim\'s claims', () => forgedToken('team-b', 'web', { name: 'web-0', uid: 'uid-b' }),
      'team-b', status.UNAUTHENTICATED, /did not authenticate the Pod's ServiceAccount token/],
    ['a genuine token of another ServiceAccount', (s: KubeSim) => s.serviceAccountToken('team-c', 'other', { podName: 'web-0', podUid: 'uid-c' }),
      'team-c', status.PERMISSION_DENIED, /belongs to another user than spiffe:\/\/cluster.local\/ns\/team-c\/sa\/web/],
    ['a genuine token bound to another Pod', (s: KubeSim) => s.serviceAccountToken('team-d', 'web', { podName: 'web-1', podUid: 'uid-other' }),
      'team-d', status.PERMISSION_DENIED, /not bound to Pod team-d\/web-0/],
  ])('refuses %s and creates nothing', async (_what, token, namespace, code, message) => {
    const error = await expectCsiError(issuer().issue({
      ...target(token(sim)), namespace, spiffeId: `spiffe://cluster.local/ns/${namespace}/sa/web`,
    }));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(await requestsIn(namespace)).toBe(0);
  });
});
