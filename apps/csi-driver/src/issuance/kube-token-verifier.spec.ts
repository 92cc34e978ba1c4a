import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConnection } from '@spiffe-csi/kubernetes';
import { startKubeSim, type KubeSim } from '../../../../test/kube-sim';
import { makeServiceAccountJwt } from '../../../../test/csi-grpc/sa-token';
import { KubeTokenVerifier } from './kube-token-verifier';

describe('KubeTokenVerifier', () => {
  let sim: KubeSim;
  let verifier: KubeTokenVerifier;
  beforeAll(async () => {
    sim = await startKubeSim();
    verifier = new KubeTokenVerifier(KubeConnection.load({ kubeconfig: sim.writeKubeconfig(sim.adminToken), env: {} }));
  });
  afterAll(() => sim.close());

  it('says yes for a token the API server signed, no for a forged one with the same claims', async () => {
    const claims = { namespace: 'team-a', serviceAccount: 'web', podName: 'p', podUid: 'u' };
    expect(await verifier.authenticates(sim.serviceAccountToken('team-a', 'web', { podName: 'p', podUid: 'u' }))).toBe(true);
    expect(await verifier.authenticates(makeServiceAccountJwt(claims))).toBe(false);
    const reviews = sim.requests.filter((r) => r.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(reviews.map((r) => [r.user, r.status])).toEqual([['system:serviceaccount:team-a:web', 201], [undefined, 401]]);
  });

  it('throws when the API server cannot answer, so the caller keeps the stored token', async () => {
    sim.faults.failRequests({ status: 503, count: 1, match: (_m, path) => path.endsWith('/selfsubjectaccessreviews') });
    await expect(verifier.authenticates(sim.serviceAccountToken('team-a', 'web'))).rejects.toThrow(/503/);
  });
});
