import type { KeyAlgorithm } from '@spiffe-csi/crypto';

export interface PolicyOptions {
  trustDomain: string;
  /** The exact lifetime every request must ask for (--certificate-request-duration), in ms. */
  durationMs: number;
  keyAlgorithm: KeyAlgorithm;
  /**
   * --use-own-service-account: the driver's full username, the only requester allowed; the
   * SPIFFE path is then the driver's word (see driver-identity-check.ts).
   */
  driverServiceAccount?: string;
}

/** Short, stable ids of the policy rules; used as the metrics `reason` label. */
export const POLICY_RULES = [
  'request',
  'signature',
  'key-algorithm',
  'duration',
  'is-ca',
  'usages',
  'subject',
  'attributes',
  'extensions',
  'identity',
  // --auto-approve-non-spiffe denials (non-spiffe.ts).
  'non-spiffe-csr',
  'non-spiffe-uri',
  'non-spiffe-issuer',
] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

export interface PolicyFailure {
  rule: PolicyRule;
  reason: string;
}

export interface PolicyDecision {
  approved: boolean;
  /** Every failed check, in rule order; empty when approved. */
  reasons: string[];
  failures: PolicyFailure[];
}
