import { randomUUID } from 'node:crypto';
import type { CertificateRequest, IssuerRef } from './ports';
import {
  IDENTITY_ANNOTATION, NODE_ID_HASH_LABEL, NODE_LABEL, VOLUME_ID_HASH_LABEL, fnv1a32, isLabelSafe,
} from './labels';

// cert-manager's ECDSA-friendly set is digital signature only, but the approver (and the Go
// driver) expect exactly these four; keep them so existing approver policies keep matching.
export const REQUEST_USAGES = ['digital signature', 'key encipherment', 'client auth', 'server auth'];

export interface RequestInput {
  volumeId: string;
  nodeId: string;
  namespace: string; // the ServiceAccount's namespace: where cert-manager sees the request
  spiffeId: string;
  csrPem: string;
  issuerRef: IssuerRef;
  duration: string; // Go duration, e.g. "1h"
  podName?: string;
  podUid?: string;
  extraAnnotations?: Record<string, string>;
  name?: string; // default: a random UUID
}

export function buildCertificateRequest(input: RequestInput): CertificateRequest {
  const labels: Record<string, string> = {
    [NODE_ID_HASH_LABEL]: fnv1a32(input.nodeId),
    [VOLUME_ID_HASH_LABEL]: fnv1a32(input.volumeId),
  };
  if (isLabelSafe(input.nodeId)) labels[NODE_LABEL] = input.nodeId;

  const request: CertificateRequest = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: {
      name: input.name ?? randomUUID(),
      namespace: input.namespace,
      labels,
      // Extras first: the identity annotation is what the approver checks, so it always wins.
      annotations: { ...input.extraAnnotations, [IDENTITY_ANNOTATION]: input.spiffeId },
    },
    spec: {
      request: Buffer.from(input.csrPem, 'utf8').toString('base64'),
      issuerRef: { ...input.issuerRef },
      duration: input.duration,
      usages: [...REQUEST_USAGES],
      isCA: false,
    },
  };
  if (input.podName && input.podUid) {
    // Kubernetes garbage-collects the request with its Pod (csi-lib#8: no orphans after restarts).
    request.metadata.ownerReferences = [
      { apiVersion: 'v1', kind: 'Pod', name: input.podName, uid: input.podUid },
    ];
  }
  return request;
}
