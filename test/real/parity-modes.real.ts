// Both parity modes on a real kube-apiserver with the chart's RBAC for them and the apps' own
// ServiceAccount tokens: the driver creates requests itself after a real TokenReview (workloads
// hold no RBAC at all), and the approver, approving on every signer, stands in for cert-manager's.
import 'reflect-metadata';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateChain } from '@spiffe-csi/crypto';
import { buildCsr, certificateRequest, spiffeIdOf } from '../approver/fixtures';
import { failureOf } from '../csi-grpc/harness';
import { makeServiceAccountJwt } from '../csi-grpc/sa-token';
import { ISSUER, SKIP_REASON, startRealStack, TRUST_DOMAIN, uniqueNamespace, type RealStack } from './stack';
import { eventually } from '../support/eventually';

type Stored = { metadata: { name: string }; spec: { username: string }; status?: { conditions?: { type: string; reason: string; message: string }[] } };
const title = `parity modes on a real kube-apiserver${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`;

describe.skipIf(SKIP_REASON !== '')(title, () => {
  let stack: RealStack;
  const ns = uniqueNamespace('parity');
  const crPath = `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests`;
  beforeAll(async () => {
    stack = await startRealStack({ ownServiceAccount: true, autoApproveNonSpiffe: true });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('issues the SVID of a Pod whose ServiceAccount has no RBAC, requested by the driver itself', async () => {
    const pod = await stack.pod({ namespace: ns, serviceAccount: 'no-rbac' });
    await stack.publish(pod);
    const dir = join(pod.targetPath, readlinkSync(join(pod.targetPath, '..data')));
    const [leaf] = parseCertificateChain(readFileSync(join(dir, 'tls.crt'), 'utf8'));
    expect(leaf.uriSans).toEqual([`spiffe://${TRUST_DOMAIN}/ns/${ns}/sa/no-rbac`]);
    const { items } = await stack.cluster.must<{ items: Stored[] }>('GET', crPath);
    expect(items.map((r) => r.spec.username)).toEqual([`system:serviceaccount:${stack.rbac.namespace}:${stack.rbac.driverServiceAccount}`]);
    expect(stack.rbacRefusals()).toEqual([]);
    await stack.unpublish(pod);
  });

  it("refuses a forged token with a real Pod's claims: the real TokenReview says no", async () => {
    const pod = await stack.pod({ namespace: ns, serviceAccount: 'victim' });
    const request = (await pod.request()) as { volume_context: Record<string, string> };
    const forged = makeServiceAccountJwt({ namespace: ns, serviceAccount: 'victim', podName: pod.pod.name, podUid: pod.pod.uid });
    request.volume_context['csi.storage.k8s.io/serviceAccount.tokens'] = JSON.stringify({ '': { token: forged } });
    const failure = await failureOf(stack.csi.node.NodePublishVolume(request));
    expect(failure.code).toBe(status.UNAUTHENTICATED);
    expect(stack.rbacRefusals()).toEqual([]);
  });

  it.each([
    ['a plain request for another issuer is approved', { dns: ['www.example.com'] }, { name: 'acme' }, 'Approved', 'Approved request'],
    ['a non-SPIFFE request smuggling a spiffe URI is denied', { dns: ['www.example.com'], uris: [spiffeIdOf('kube-system', 'admin', TRUST_DOMAIN)] },
      { name: 'acme' }, 'Denied', 'Denied request: non-SPIFFE certificate request contains SPIFFE URI SAN'],
    ['a plain request for our issuer is denied', { dns: ['www.example.com'] }, { name: ISSUER.name },
      'Denied', 'Denied request: non-SPIFFE certificate targeting configured SPIFFE issuer'],
  ])('auto-approve: %s (approve on every signer)', async (_what, csr, issuer, type, message) => {
    const cr = certificateRequest({ csrPem: await buildCsr({ key: 'P-256', ...csr }), namespace: ns, name: `plain-${Math.random().toString(36).slice(2, 8)}`,
      issuerRef: { ...issuer, kind: 'ClusterIssuer', group: 'cert-manager.io' }, duration: '2160h', usages: ['digital signature'] });
    await stack.cluster.must('POST', crPath, cr);
    const condition = await eventually(async () => {
      const got = await stack.cluster.must<Stored>('GET', `${crPath}/${cr.metadata.name}`);
      return got.status?.conditions?.find((c) => c.type === 'Approved' || c.type === 'Denied');
    }, 20_000);
    expect({ type: condition.type, reason: condition.reason, message: condition.message })
      .toEqual({ type, reason: 'spiffe.csi.cert-manager.io', message });
    expect(stack.rbacRefusals()).toEqual([]);
  });
});
