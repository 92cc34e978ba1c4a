// The narrow outside world the issuance code needs. Each port has one production adapter
// (Kubernetes, flags, CA watcher) and a small fake for tests, so issuance logic never talks to
// the API client directly.
import type { CertificateRequest } from '@spiffe-csi/kubernetes';

/** The Kubernetes library's CertificateRequest: one type from the API client to the waiter, no casts. */
export type { CertificateRequest };

export interface IssuerRef {
  name: string;
  kind: string;
  group: string;
}

export type RequestWatchEvent =
  | { type: 'changed'; request: CertificateRequest }
  | { type: 'deleted' }
  | { type: 'closed'; error?: Error }; // stream ended: the caller re-reads and watches again

/** CertificateRequest access. `createAs` uses the Pod's token; everything else the driver's own. */
export interface CertificateRequestGateway {
  /** Whose credentials createAs creates with, for messages ("the Pod's ServiceAccount"). */
  readonly requester: string;
  createAs(token: string, request: CertificateRequest): Promise<CertificateRequest>;
  get(namespace: string, name: string): Promise<CertificateRequest | undefined>;
  /**
   * Watches one request: its current state first (when known, asynchronously), then every change,
   * until the returned function is called. No resourceVersion: the shared informer's cache is the
   * starting point, so a change that landed before the call is not lost.
   */
  watch(namespace: string, name: string, onEvent: (event: RequestWatchEvent) => void): () => void;
  list(namespace: string, labelSelector: string): Promise<CertificateRequest[]>;
  /** NotFound counts as success. */
  delete(namespace: string, name: string): Promise<void>;
}
export const CERTIFICATE_REQUEST_GATEWAY = Symbol('CERTIFICATE_REQUEST_GATEWAY');

/** The issuer new requests go to: the runtime ConfigMap's when active, else the flags'. */
export interface IssuerSource {
  current(): IssuerRef | undefined;
}
export const ISSUER_SOURCE = Symbol('ISSUER_SOURCE');

// The CA file's source (CaBundleSource, CA_BUNDLE_SOURCE, NoCaBundle) lives in ../ca-bundle.

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

/** Warning Events on the Pod whose volume failed; written with the driver's own credentials. */
export interface IssuanceEvents {
  warning(pod: PodRef, reason: string, message: string): void;
}
export const ISSUANCE_EVENTS = Symbol('ISSUANCE_EVENTS');

/**
 * Asks the API server whether a ServiceAccount token is genuine (signature, expiry, bound Pod
 * still alive), by acting AS that token. The driver decodes claims itself but cannot check
 * signatures, so a token only replaces a volume's stored one after this said yes.
 */
export interface TokenVerifier {
  /** true: the API server authenticated it; false: it answered 401. Throws when it cannot answer. */
  authenticates(token: string): Promise<boolean>;
}
export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');
