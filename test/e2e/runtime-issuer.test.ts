import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaIssuerSim, type CaIssuerSim } from '../kube-sim/ca-issuer';
import { PlainKubeClient } from '../kube-sim/kube-client';
import { IS_ROOT, startStack, type Stack } from './stack';
import type { PodVolume } from './kubelet';
import { eventually } from '../support/eventually';

const RUNTIME = ['--runtime-issuance-config-map-name=spiffe-issuer', '--runtime-issuance-config-map-namespace=cert-manager'];
const CM_PATH = '/api/v1/namespaces/cert-manager/configmaps';

describe.skipIf(!IS_ROOT)('runtime issuance ConfigMap switches the issuer of driver and approver', () => {
  let stack: Stack;
  let runtimeCa: CaIssuerSim;
  let admin: PlainKubeClient;
  beforeAll(async () => {
    stack = await startStack({ driverArgs: RUNTIME, approverArgs: RUNTIME });
    runtimeCa = await startCaIssuerSim({ url: stack.sim.url, token: stack.sim.adminToken, issuerName: 'runtime-ca',
      issuerKind: 'Issuer', issuerGroup: 'example.io' });
    admin = new PlainKubeClient({ url: stack.sim.url, token: stack.sim.adminToken });
  }, 120_000);
  afterAll(async () => {
    await runtimeCa?.stop();
    await stack?.stop();
  });

  /** Publishes a new Pod and tells which simulated CA signed its certificate. */
  async function signerOfNewPod(sa: string): Promise<'flags-ca' | 'runtime-ca'> {
    const volume: PodVolume = stack.pod({ namespace: 'sandbox', serviceAccount: sa });
    await stack.publish(volume);
    const leaf = new X509Certificate(readFileSync(join(volume.targetPath, 'tls.crt')));
    await stack.unpublish(volume);
    if (leaf.verify(new X509Certificate(stack.issuer.caPem).publicKey)) return 'flags-ca';
    if (leaf.verify(new X509Certificate(runtimeCa.caPem).publicKey)) return 'runtime-ca';
    throw new Error('signed by neither CA');
  }

  /** Both apps see the ConfigMap through a watch: new Pods get the new issuer a moment later. */
  function signerBecomes(expected: string, attempt: () => Promise<string>): Promise<string> {
    return eventually(async () => {
      const signer = await attempt().catch((e: { details?: string }) => `error: ${e.details}`);
      return signer === expected ? signer : undefined;
    }, 20_000, `new Pods signed by ${expected}`);
  }

  it('uses the flags\' issuer, then the ConfigMap\'s, then the flags\' again once it is deleted', async () => {
    expect(await signerOfNewPod('before')).toBe('flags-ca');

    const created = await admin.request('POST', CM_PATH, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'spiffe-issuer', namespace: 'cert-manager' },
      data: { 'issuer-name': 'runtime-ca', 'issuer-kind': 'Issuer', 'issuer-group': 'example.io' },
    });
    expect(created.status).toBe(201);
    let n = 0;
    expect(await signerBecomes('runtime-ca', () => signerOfNewPod(`during-${n++}`))).toBe('runtime-ca');

    // An invalid update is ignored: the previous (runtime) issuer stays.
    const invalid = await admin.request('PATCH', `${CM_PATH}/spiffe-issuer`, { data: { 'issuer-kind': '' } },
      'application/merge-patch+json');
    expect(invalid.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await signerOfNewPod('invalid')).toBe('runtime-ca');

    expect((await admin.request('DELETE', `${CM_PATH}/spiffe-issuer`)).status).toBe(200);
    expect(await signerBecomes('flags-ca', () => signerOfNewPod(`after-${n++}`))).toBe('flags-ca');
  }, 60_000);
});
