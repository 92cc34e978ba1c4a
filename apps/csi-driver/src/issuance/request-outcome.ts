import type { CertificateRequestCondition } from '@spiffe-csi/kubernetes';
import type { CertificateRequest } from './ports';

export type RequestOutcome =
  | { state: 'issued'; certificate: string; ca?: string } // PEM chain and status.ca as cert-manager returned them
  | { state: 'denied'; message: string }
  | { state: 'failed'; message: string }
  | { state: 'pending'; reason: string }; // reason: a short human description of where it is

function condition(request: CertificateRequest, type: string): CertificateRequestCondition | undefined {
  return request.status?.conditions?.find((c) => c.type === type);
}

/** Where a request stands, from its conditions (cert-manager's contract, not our guess). */
export function classifyRequest(request: CertificateRequest): RequestOutcome {
  const denied = condition(request, 'Denied');
  if (denied?.status === 'True') return { state: 'denied', message: denied.message || denied.reason || 'denied' };

  const ready = condition(request, 'Ready');
  if (ready?.status === 'True' && ready.reason === 'Issued') {
    const encoded = request.status?.certificate;
    if (!encoded) return { state: 'pending', reason: 'Issued but status.certificate is empty' };
    const ca = request.status?.ca ? Buffer.from(request.status.ca, 'base64').toString('utf8') : undefined;
    return { state: 'issued', certificate: Buffer.from(encoded, 'base64').toString('utf8'), ...(ca ? { ca } : {}) };
  }
  if (ready?.status === 'False' && ready.reason === 'Failed') {
    return { state: 'failed', message: ready.message || 'issuance failed' };
  }
  if (ready) return { state: 'pending', reason: `Ready=${ready.status} ${ready.reason ?? ''}: ${ready.message ?? ''}`.trim() };

  const approved = condition(request, 'Approved');
  if (approved?.status === 'True') return { state: 'pending', reason: 'approved, waiting for the issuer' };
  return { state: 'pending', reason: 'not yet approved' };
}

/** Approved=True: the approver's part is done (the issuer's may not be). */
export function isApproved(request: CertificateRequest): boolean {
  return condition(request, 'Approved')?.status === 'True';
}

export function requestName(request: CertificateRequest): string {
  return `${request.metadata.namespace}/${request.metadata.name ?? request.metadata.generateName ?? '?'}`;
}
