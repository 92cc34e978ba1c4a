/**
 * What kind of failure a domain operation (publish, unpublish, issuance, storage) ran into, in the
 * domain's words. The domain knows nothing of gRPC: the CSI edge maps each kind to the status
 * kubelet gets (csi/domain-status.ts), so the same code can run behind any transport or in a test.
 */
export const DOMAIN_ERROR_KINDS = [
  /** The request names something the driver must not touch (e.g. an unconfined target path). */
  'invalid-request',
  /** The volume, target or driver state does not allow the operation now; nothing was changed. */
  'precondition-failed',
  /** The presented identity may not do this (another Pod's volume, a denied request). */
  'forbidden',
  /** The API server rejected the presented ServiceAccount token. */
  'unauthenticated',
  /** A dependency (API server, issuer, the data root tmpfs) cannot serve us right now; retry. */
  'unavailable',
  /** Issuance did not finish in time; a retry resumes it. */
  'timed-out',
  /** The driver broke one of its own invariants. */
  'internal',
] as const;

export type DomainErrorKind = (typeof DOMAIN_ERROR_KINDS)[number];

/**
 * A failure the driver expected and can explain. The message reaches kubelet verbatim (and from
 * there Pod events), so it must be actionable and must never contain a token or key.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
