import { formatTime, type KubeObject } from './objects';

export const CERT_MANAGER_GROUP = 'cert-manager.io';
export const CERTIFICATE_REQUEST_API_VERSION = 'cert-manager.io/v1';

export interface IssuerReference {
  name: string;
  kind?: string;
  group?: string;
}

export interface CertificateRequestSpec {
  /** base64 of the PEM-encoded CSR. */
  request: string;
  issuerRef: IssuerReference;
  duration?: string;
  isCA?: boolean;
  usages?: string[];
  /** Set by cert-manager's webhook from the requester's identity; ignored on create. */
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type CertificateRequestConditionType =
  'Ready' | 'Approved' | 'Denied' | 'InvalidRequest' | (string & {});

export interface CertificateRequestCondition {
  type: CertificateRequestConditionType;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface CertificateRequestStatus {
  conditions?: CertificateRequestCondition[];
  /** base64 PEM chain (leaf first). */
  certificate?: string;
  ca?: string;
  failureTime?: string;
}

export interface CertificateRequest extends KubeObject {
  apiVersion: 'cert-manager.io/v1';
  kind: 'CertificateRequest';
  spec: CertificateRequestSpec;
  status?: CertificateRequestStatus;
}

export type NewCertificateRequest = Omit<CertificateRequest, 'apiVersion' | 'kind' | 'status'> &
  Partial<Pick<CertificateRequest, 'apiVersion' | 'kind'>>;

export function getCondition(
  cr: CertificateRequest,
  type: string,
): CertificateRequestCondition | undefined {
  return cr.status?.conditions?.find((c) => c.type === type);
}

const isTrue = (cr: CertificateRequest, type: string): boolean =>
  getCondition(cr, type)?.status === 'True';

export const isApproved = (cr: CertificateRequest): boolean => isTrue(cr, 'Approved');
export const isDenied = (cr: CertificateRequest): boolean => isTrue(cr, 'Denied');
export const readyCondition = (cr: CertificateRequest): CertificateRequestCondition | undefined =>
  getCondition(cr, 'Ready');

/**
 * Copy of `cr` with the condition set (replacing any of the same type). Like cert-manager's
 * SetCertificateRequestCondition, lastTransitionTime only moves when the status changes.
 * `cr` is not modified; the copy shares every part but status with it (informer caches hand
 * these objects out, and a full clone of each request was a measurable cost per decision).
 */
export function setCondition(
  cr: CertificateRequest,
  condition: Omit<CertificateRequestCondition, 'lastTransitionTime'>,
  now: Date = new Date(),
): CertificateRequest {
  const conditions = cr.status?.conditions ?? [];
  const existing = conditions.find((c) => c.type === condition.type);
  const next: CertificateRequestCondition = {
    ...condition,
    lastTransitionTime:
      existing && existing.status === condition.status && existing.lastTransitionTime
        ? existing.lastTransitionTime
        : formatTime(now),
  };
  return {
    ...cr,
    status: {
      ...cr.status,
      conditions: existing
        ? conditions.map((c) => (c === existing ? next : c))
        : [...conditions, next],
    },
  };
}
