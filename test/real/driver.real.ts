// The built driver against the real kube-apiserver: it runs with its chart ServiceAccount's token,
// creates requests with the Pod's TokenRequest-made token (its SA may only `create` them), and
// watches, prunes and records Events with the chart's RBAC.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateChain, publicKeyMatches } from '@spiffe-csi/crypto';
import { failureOf } from '../csi-grpc/harness';
import { SKIP_REASON, startRealStack, TRUST_DOMAIN, uniqueNamespace, type RealPod, type RealStack } from './stack';
import { eventually } from '../support/eventually';

type Stored = { metadata: { name: string; ownerReferences?: { kind: string; uid: string }[] }; spec: { username: string };
  status?: { conditions?: { type: string; status: string }[] } };
type PodEvent = { type: string; reason: string; message: string; involvedObject: { kind: string; name: string; uid: string } };

function readPair(targetPath: string): { cert: string; key: string } {
  const dir = join(targetPath, readlinkSync(join(targetPath, '..data')));
  return { cert: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
}
const newCert = (pod: RealPod, previous: string) =>
  eventually(() => (readPair(pod.targetPath).cert !== previous ? readPair(pod.targetPath).cert : undefined), 20_000);

const title = (what: string) => `${what} on a real kube-apiserver${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`;

describe.skipIf(SKIP_REASON !== '')(title('driver: publish, renewal, cleanup, restart'), () => {
  let stack: RealStack;
  const ns = uniqueNamespace('workloads');
  const requestsOf = async (sa: string) => (await stack.cluster.must<{ items: Stored[] }>('GET',
    `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests`)).items.filter((r) => r.spec.username === `system:serviceaccount:${ns}:${sa}`);

  beforeAll(async () => {
    // 6 s certificates: renewal is due at ~4 s (2/3 of the lifetime).
    stack = await startRealStack({ certDurationMs: 6_000 });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('publishes the SVID of the Pod\'s ServiceAccount, requested with its own bound token and owned by the Pod', async () => {
    const pod = await stack.pod({ namespace: ns, serviceAccount: 'web' });
    await stack.publish(pod);
    const { cert, key } = readPair(pod.targetPath);
    const [leaf] = parseCertificateChain(cert);
    expect(leaf.uriSans).toEqual([`spiffe://${TRUST_DOMAIN}/ns/${ns}/sa/web`]);
    expect(publicKeyMatches(cert, key)).toBe(true);
    const [request] = await requestsOf('web');
    expect(request.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Pod', uid: pod.pod.uid })]);
    await stack.unpublish(pod);
    expect(existsSync(join(stack.dataRoot, pod.volumeId))).toBe(false);
  });

  it('renews with a new key and deletes the superseded requests with its own credentials', async () => {
    const pod = await stack.pod({ namespace: ns, serviceAccount: 'renewing' });
    await stack.publish(pod);
    const first = readPair(pod.targetPath);
    const second = await newCert(pod, first.cert);
    await newCert(pod, second);
    expect(readPair(pod.targetPath).key).not.toBe(first.key);
    expect(stack.issuer.stats().issued).toBeGreaterThanOrEqual(3);
    // keep = 1: older requests go once their successor is issued.
    await eventually(async () => ((await requestsOf('renewing')).length === 1 ? true : undefined), 10_000);
    const warnings = stack.driver.logs.filter((l) => /deleting old certificate requests failed|forbidden/i.test(JSON.stringify(l)));
    expect(warnings).toEqual([]);
    await stack.unpublish(pod);
  }, 60_000);

  it('a SIGKILLed driver resumes and keeps renewing the Pod\'s files', async () => {
    const pod = await stack.pod({ namespace: ns, serviceAccount: 'survivor' });
    await stack.publish(pod);
    const before = readPair(pod.targetPath).cert;
    await stack.restartDriver('SIGKILL');
    const after = await newCert(pod, before);
    expect(parseCertificateChain(after)[0].uriSans).toEqual([`spiffe://${TRUST_DOMAIN}/ns/${ns}/sa/survivor`]);
    await stack.unpublish(pod);
  }, 60_000);

  it('no API call of the apps was refused: the chart grants everything they use', () => {
    expect(stack.rbacRefusals()).toEqual([]);
  });

  it('a failing issuer → UNAVAILABLE and a Warning Event on the real Pod object', async () => {
    stack.issuer.setMode('fail');
    try {
      const pod = await stack.pod({ namespace: ns, serviceAccount: 'unlucky' });
      const failure = await failureOf(stack.publish(pod));
      expect(failure.code).toBe(14);
      const event = await eventually(async () => (await stack.cluster.must<{ items: PodEvent[] }>('GET', `/api/v1/namespaces/${ns}/events`))
        .items.find((e) => e.involvedObject.uid === pod.pod.uid), 10_000);
      expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod', name: pod.pod.name } });
      expect(event.message).toMatch(/simulated issuer failure/);
    } finally {
      stack.issuer.setMode('sign');
    }
  });
});

describe.skipIf(SKIP_REASON !== '')(title('runtime issuance ConfigMap'), () => {
  let stack: RealStack;
  const ns = uniqueNamespace('runtime');
  const configMap = 'spiffe-issuer';

  beforeAll(async () => {
    stack = await startRealStack({ runtimeIssuanceConfigMap: configMap });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('approver and driver follow the ConfigMap in the release namespace (the chart\'s Roles allow it)', async () => {
    const { startCaIssuerSim } = await import('../kube-sim/ca-issuer');
    const { state } = stack.cluster;
    const runtimeIssuer = await startCaIssuerSim({ url: state.url, token: state.adminToken, caPem: state.caPem,
      issuerName: 'runtime-ca', issuerKind: 'Issuer' });
    try {
      await stack.cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMap, namespace: stack.rbac.namespace },
        data: { 'issuer-name': 'runtime-ca', 'issuer-kind': 'Issuer', 'issuer-group': 'cert-manager.io' } });
      const pod = await stack.pod({ namespace: ns, serviceAccount: 'follower' });
      await eventually(async () => (await stack.publish(pod).then(() => true, () => undefined)), 30_000);
      const [leaf] = parseCertificateChain(readPair(pod.targetPath).cert);
      expect(leaf.issuer).toContain('runtime-ca');
      expect(runtimeIssuer.stats().issued).toBeGreaterThanOrEqual(1);
      expect(stack.rbacRefusals()).toEqual([]);
      await stack.unpublish(pod);
    } finally {
      await runtimeIssuer.stop();
    }
  }, 60_000);
});
