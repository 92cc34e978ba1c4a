import { IDENTITY_ANNOTATION } from './labels';
import type { CertificateRequest } from './ports';

/** What a TokenReview says about a token (authentication.k8s.io/v1 status). */
export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; extra?: Record<string, string[] | undefined> };
  error?: string;
}

const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
const SERVICE_ACCOUNT_PATH = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;

/**
 * Refusal to create a request on a Pod's behalf. `code` is the HTTP status the API server would
 * have answered the Pod itself (401 not authenticated, 403 not this identity), which the issuer
 * maps to a gRPC status as it does for a create made with the Pod's token.
 */
export class TokenBindingError extends Error {
  constructor(
    readonly code: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'TokenBindingError';
  }
}

/**
 * --use-own-service-account: the driver's credentials would sign for any identity, so before it
 * creates `request` it must know the Pod's token is genuine AND is the identity the request names:
 * the reviewed user must be the ServiceAccount of the request's SPIFFE ID and namespace, and when
 * the request is owned by a Pod, the token must be bound to that Pod (name and UID). The claims the
 * driver decoded are unsigned; only the API server's review makes them facts. Throws on mismatch.
 */
export function checkTokenBinding(review: TokenReviewStatus, request: CertificateRequest): void {
  if (review.authenticated !== true) {
    throw new TokenBindingError(401, `the API server did not authenticate the Pod's ServiceAccount token${review.error ? ` (${review.error})` : ''}`);
  }
  const id = request.metadata.annotations?.[IDENTITY_ANNOTATION] ?? '';
  const match = SERVICE_ACCOUNT_PATH.exec(id);
  const expected = match && match[1] === request.metadata.namespace ? `system:serviceaccount:${match[1]}:${match[2]}` : undefined;
  if (!expected || review.user?.username !== expected) {
    throw new TokenBindingError(403, `the Pod's ServiceAccount token belongs to another user than ${id || 'the requested identity'}`);
  }
  const pod = request.metadata.ownerReferences?.find((owner) => owner.kind === 'Pod');
  if (!pod) return;
  const extra = review.user.extra ?? {};
  if (extra[POD_UID_EXTRA]?.[0] !== pod.uid || extra[POD_NAME_EXTRA]?.[0] !== pod.name) {
    throw new TokenBindingError(403, `the Pod's ServiceAccount token is not bound to Pod ${request.metadata.namespace}/${pod.name}`);
  }
}
