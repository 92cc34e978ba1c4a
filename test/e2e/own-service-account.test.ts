import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateChain } from '@spiffe-csi/crypto';
import { failureOf } from '../csi-grpc/harness';
import { makeServiceAccountJwt } from '../csi-grpc/sa-token';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from './stack';

// --use-own-service-account on both built apps, started as their main.ts does: the driver creates
// requests as its own ServiceAccount after a TokenReview of the Pod's token.
const DRIVER_SA = 'system:serviceaccount:cert-manager:cert-manager-csi-driver-spiffe';
type Stored = { metadata: { namespace: string; annotations?: Record<string, string> }; spec: { username: string } };

describe.skipIf(!IS_ROOT)('driver and approver with --use-own-service-account', () => {
  let stack: Stack;
  const requestsIn = (ns: string) =>
    (stack.sim.store.list('certificaterequests') as unknown as Stored[]).filter((r) => r.metadata.namespace === ns);
  beforeAll(async () => {
    stack = await startStack({
      driverUser: DRIVER_SA,
      driverArgs: ['--use-own-service-account'],
      approverArgs: ['--use-own-service-account', `--driver-service-account=${DRIVER_SA}`],
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("mounts the Pod's SPIFFE ID from a request the driver made itself, after reviewing the Pod's token", async () => {
    const volume = stack.pod({ namespace: 'own-sa', serviceAccount: 'web' });
    await stack.publish(volume);
    const [leaf] = parseCertificateChain(readFileSync(join(volume.targetPath, 'tls.crt'), 'utf8'));
    expect(leaf.uriSans).toEqual([`spiffe://${TRUST_DOMAIN}/ns/own-sa/sa/web`]);
    const [request] = requestsIn('own-sa');
    expect(request.spec.username).toBe(DRIVER_SA);
    expect(stack.sim.requests.filter((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews' && r.user === DRIVER_SA))
      .not.toHaveLength(0);
    await stack.unpublish(volume);
  });

  it("refuses a socket caller's forged token with the victim's claims: UNAUTHENTICATED, no request, no volume", async () => {
    const volume = stack.pod({ namespace: 'victim', serviceAccount: 'payments' });
    const request = volume.request as { volume_context: Record<string, string> };
    const forged = makeServiceAccountJwt({ namespace: 'victim', serviceAccount: 'payments', podName: volume.pod.name, podUid: volume.pod.uid });
    request.volume_context['csi.storage.k8s.io/serviceAccount.tokens'] = JSON.stringify({ '': { token: forged } });
    const failure = await failureOf(stack.csi.node.NodePublishVolume(request));
    expect(failure.code).toBe(status.UNAUTHENTICATED);
    expect(failure.details).toMatch(/did not authenticate the Pod's ServiceAccount token/);
    // The request would have been the driver's, so the message must not say "as the Pod's ServiceAccount".
    expect(failure.details).toMatch(/as the driver's ServiceAccount, after a TokenReview/);
    expect(requestsIn('victim')).toEqual([]);
    expect(existsSync(join(stack.dataRoot, volume.volumeId))).toBe(false);
  });
});
