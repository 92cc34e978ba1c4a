// Creating and reading CertificateRequests in kube-sim the way the driver and cert-manager do.
import type { KubeSim } from '../kube-sim';
import { certificateRequest, type RequestSpec } from './fixtures';
import { CR_PATH, kubeRequest } from './harness';
import { eventually } from '../support/eventually';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
export interface StoredRequest {
  metadata: { name: string; namespace: string; resourceVersion: string; uid: string };
  spec: Record<string, unknown>;
  status?: { conditions?: Condition[] };
}

let counter = 0;
export const uniqueName = (prefix = 'req') => `${prefix}-${process.pid}-${++counter}`;

/** Creates the request authenticated as ServiceAccount ns/sa, so the webhook sets spec.username. */
export async function createAs(
  sim: KubeSim,
  serviceAccount: string,
  spec: RequestSpec,
): Promise<StoredRequest> {
  const namespace = spec.namespace ?? 'sandbox';
  const cr = certificateRequest({ ...spec, namespace, name: spec.name ?? uniqueName() });
  const token = sim.serviceAccountToken(namespace, serviceAccount);
  const res = await kubeRequest<StoredRequest>(sim, token, 'POST', CR_PATH(namespace), cr);
  if (res.status !== 201)
    throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function stored(sim: KubeSim, cr: StoredRequest): StoredRequest | undefined {
  return sim.store.get('certificaterequests', cr.metadata.namespace, cr.metadata.name) as
    StoredRequest | undefined;
}

export function decisionOf(sim: KubeSim, cr: StoredRequest): Condition | undefined {
  return stored(sim, cr)?.status?.conditions?.find(
    (c) => c.type === 'Approved' || c.type === 'Denied',
  );
}

export function waitForDecision(
  sim: KubeSim,
  cr: StoredRequest,
  timeoutMs = 20_000,
): Promise<Condition> {
  return eventually(() => decisionOf(sim, cr), timeoutMs);
}

/** Number of /status writes that reached the API server for this request. */
export function statusWrites(sim: KubeSim, cr: StoredRequest): number {
  const path = `${CR_PATH(cr.metadata.namespace, cr.metadata.name)}/status`;
  return sim.requests.filter((r) => r.method === 'PUT' && r.path === path && r.status < 300).length;
}
