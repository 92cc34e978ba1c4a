// CertificateRequests as the API server holds them, summarised for the demo (no CSR bodies).
import type { KubeSim } from '../../test/kube-sim';

interface Condition { type: string; status: string; reason?: string; message?: string }
export interface StoredRequest {
  metadata: { name: string; namespace: string };
  spec: { username?: string; duration?: string };
  status?: { conditions?: Condition[]; certificate?: string };
}

export function requestsBy(sim: KubeSim, namespace: string, serviceAccount: string): StoredRequest[] {
  return (sim.store.list('certificaterequests', namespace) as unknown as StoredRequest[])
    .filter((r) => r.spec.username === `system:serviceaccount:${namespace}:${serviceAccount}`);
}

export function decisionOf(request: StoredRequest): Condition | undefined {
  return request.status?.conditions?.find((c) => c.type === 'Approved' || c.type === 'Denied');
}

export function describeCondition(c: Condition | undefined): string {
  return c ? `${c.type}=${c.status}  reason=${c.reason ?? '-'}  "${c.message ?? ''}"` : '(none yet)';
}

/** Rows for the request behind a volume: who asked, what the approver and issuer said. */
export function requestRows(request: StoredRequest): [string, string | undefined][] {
  const ready = request.status?.conditions?.find((c) => c.type === 'Ready');
  return [
    ['CertificateRequest', `${request.metadata.namespace}/${request.metadata.name}`],
    ['requested by', request.spec.username],
    ['approval', describeCondition(decisionOf(request))],
    ['issuance', ready ? describeCondition(ready) : undefined],
  ];
}

/** The request as stored now (status included). */
export function current(sim: KubeSim, request: { metadata: { namespace: string; name: string } }): StoredRequest | undefined {
  return sim.store.get('certificaterequests', request.metadata.namespace, request.metadata.name) as unknown as
    StoredRequest | undefined;
}
