import { isRecord } from './describe';
import type { PolicyDecision, PolicyFailure } from './policy-types';
import { readCsr } from './read-csr';

// The Go original's messages, verbatim: tooling that greps Denied conditions keeps working.
export const SPIFFE_URI_SAN_REASON = 'non-SPIFFE certificate request contains SPIFFE URI SAN';
export const SPIFFE_ISSUER_REASON = 'non-SPIFFE certificate targeting configured SPIFFE issuer';
export const UNREADABLE_CSR_REASON =
  'non-SPIFFE certificate request could not be read to look for SPIFFE URI SANs';

// url.Parse lowercases the scheme, so the Go approver sees SPIFFE://… as spiffe too.
const SPIFFE_SCHEME = /^spiffe:/i;

/**
 * --auto-approve-non-spiffe, for a request that is not a SPIFFE request for our issuer: approve,
 * as cert-manager's own approver would, unless its CSR carries a spiffe:// URI SAN (only our
 * policy may hand out SPIFFE IDs) or it targets our issuer (which signs SVIDs only). Unlike the
 * Go original, a CSR our strict reader refuses is denied: what we cannot read, we cannot clear
 * of SPIFFE URIs (cert-manager's webhook already refuses CSRs Go cannot parse).
 */
export async function evaluateNonSpiffe(
  cr: unknown,
  targetsSpiffeIssuer: boolean,
): Promise<PolicyDecision> {
  const spec = isRecord(cr) && isRecord(cr.spec) ? cr.spec : {};
  const read = await readCsr(spec.request).catch(() => ({ csr: undefined }));
  let failure: PolicyFailure | undefined;
  if (!read.csr) failure = { rule: 'non-spiffe-csr', reason: UNREADABLE_CSR_REASON };
  else if (read.csr.sans.some((san) => san.type === 'uri' && SPIFFE_SCHEME.test(san.value)))
    failure = { rule: 'non-spiffe-uri', reason: SPIFFE_URI_SAN_REASON };
  else if (targetsSpiffeIssuer)
    failure = { rule: 'non-spiffe-issuer', reason: SPIFFE_ISSUER_REASON };
  return failure
    ? { approved: false, reasons: [failure.reason], failures: [failure] }
    : { approved: true, reasons: [], failures: [] };
}
