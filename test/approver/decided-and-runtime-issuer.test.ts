import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { driverCsr, spiffeIdOf } from './fixtures';
import { ensureApproverBuilt, kubeRequest, startApprover, type ApproverProcess } from './harness';
import {
  createAs,
  decisionOf,
  statusWrites,
  stored,
  waitForDecision,
  type StoredRequest,
} from './requests';

const CM_PATH = '/api/v1/namespaces/cert-manager/configmaps';
const RUNTIME_ISSUER = { name: 'runtime-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };
const FLAG_ISSUER = { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };
let sim: KubeSim;
let approver: ApproverProcess;
let csrPem: string;
const preDecided: StoredRequest[] = [];
let pendingBeforeStart: StoredRequest;

async function decideByHand(
  cr: StoredRequest,
  type: 'Approved' | 'Denied',
): Promise<StoredRequest> {
  const condition = {
    type,
    status: 'True',
    reason: 'SomeoneElse',
    message: 'decided by hand',
    lastTransitionTime: '2024-01-01T00:00:00Z',
  };
  const res = await kubeRequest<StoredRequest>(
    sim,
    sim.adminToken,
    'PUT',
    `/apis/cert-manager.io/v1/namespaces/${cr.metadata.namespace}/certificaterequests/${cr.metadata.name}/status`,
    {
      ...cr,
      status: { conditions: [condition] },
    },
  );
  if (res.status !== 200)
    throw new Error(`status write failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function configMap(data: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'spiffe-issuer', namespace: 'cert-manager' },
    data,
  };
}
const runtimeData = {
  'issuer-name': RUNTIME_ISSUER.name,
  'issuer-kind': RUNTIME_ISSUER.kind,
  'issuer-group': RUNTIME_ISSUER.group,
};

beforeAll(async () => {
  ensureApproverBuilt();
  sim = await startKubeSim();
  csrPem = await driverCsr(spiffeIdOf('sandbox', 'app'));
  // Before the approver exists: two requests decided by someone else, one pending for the runtime issuer.
  preDecided.push(
    await decideByHand(
      await createAs(sim, 'app', { csrPem, issuerRef: RUNTIME_ISSUER }),
      'Approved',
    ),
  );
  preDecided.push(
    await decideByHand(
      await createAs(sim, 'app', {
        csrPem: await driverCsr(spiffeIdOf('x', 'y')),
        issuerRef: RUNTIME_ISSUER,
      }),
      'Denied',
    ),
  );
  pendingBeforeStart = await createAs(sim, 'app', { csrPem, issuerRef: RUNTIME_ISSUER });
  expect(
    (await kubeRequest(sim, sim.adminToken, 'POST', CM_PATH, configMap(runtimeData))).status,
  ).toBe(201);
  approver = await startApprover(sim, [
    '--runtime-issuance-config-map-name=spiffe-issuer',
    '--runtime-issuance-config-map-namespace=cert-manager',
  ]);
}, 240_000);

afterAll(async () => {
  await approver?.stop('SIGKILL');
  await sim?.close();
});

describe('requests decided elsewhere, and the runtime issuance ConfigMap', () => {
  it('decides requests that were pending before it started, and leaves decided ones alone', async () => {
    expect((await waitForDecision(sim, pendingBeforeStart)).type).toBe('Approved');
    await new Promise((r) => setTimeout(r, 200));
    for (const cr of preDecided) {
      expect(stored(sim, cr)?.metadata.resourceVersion).toBe(cr.metadata.resourceVersion);
      expect(statusWrites(sim, cr)).toBe(1); // ours, by hand
      expect(decisionOf(sim, cr)?.reason).toBe('SomeoneElse');
    }
  }, 60_000);

  it('approves for the ConfigMap issuer while it exists, not for the flags issuer', async () => {
    const forFlags = await createAs(sim, 'app', { csrPem, issuerRef: FLAG_ISSUER });
    const forRuntime = await createAs(sim, 'app', { csrPem, issuerRef: RUNTIME_ISSUER });
    expect((await waitForDecision(sim, forRuntime)).type).toBe('Approved');
    await new Promise((r) => setTimeout(r, 200));
    expect(decisionOf(sim, forFlags)).toBeUndefined();

    // Invalid ConfigMap: logged, previous issuer kept.
    const current = await kubeRequest<{ metadata: Record<string, unknown> }>(
      sim,
      sim.adminToken,
      'GET',
      `${CM_PATH}/spiffe-issuer`,
    );
    const invalid = { ...configMap({ 'issuer-name': 'broken' }), metadata: current.body.metadata };
    expect(
      (await kubeRequest(sim, sim.adminToken, 'PUT', `${CM_PATH}/spiffe-issuer`, invalid)).status,
    ).toBe(200);
    const problem = await approver.waitForLog(
      (l) => l.msg === 'runtime issuance ConfigMap is invalid; keeping the previous issuer',
    );
    expect(problem.problem).toBe('missing or empty keys: issuer-kind, issuer-group');
    const stillRuntime = await createAs(sim, 'app', { csrPem, issuerRef: RUNTIME_ISSUER });
    expect((await waitForDecision(sim, stillRuntime)).type).toBe('Approved');
    expect(decisionOf(sim, forFlags)).toBeUndefined();

    // Deleted: back to the flags; the request that waited for the flags issuer is decided now.
    expect(
      (await kubeRequest(sim, sim.adminToken, 'DELETE', `${CM_PATH}/spiffe-issuer`)).status,
    ).toBe(200);
    expect((await waitForDecision(sim, forFlags)).type).toBe('Approved');
    const afterDelete = await createAs(sim, 'app', { csrPem, issuerRef: RUNTIME_ISSUER });
    await waitForDecision(sim, await createAs(sim, 'app', { csrPem, issuerRef: FLAG_ISSUER }));
    await new Promise((r) => setTimeout(r, 200));
    expect(decisionOf(sim, afterDelete)).toBeUndefined();
  }, 90_000);
});
