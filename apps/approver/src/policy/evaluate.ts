import { CsrParseError, inspectCsr, type CsrInfo } from '@spiffe-csi/crypto';
import { checkAttributes } from './attribute-check';
import { checkExtensions, checkKeyAlgorithm, checkSubjectAndSans } from './csr-checks';
import { isRecord } from './describe';
import { checkIdentity } from './identity-check';
import {
  POLICY_RULES,
  type PolicyDecision,
  type PolicyFailure,
  type PolicyOptions,
} from './policy-types';
import { checkDuration, checkIsCa, checkUsages } from './spec-checks';

/** A CSR for one EC key is well under 2 KiB; anything this large is not ours. */
const MAX_REQUEST_BASE64_LENGTH = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
export const INVALID_CSR_REASON = 'spec.request is not a valid PEM certificate signing request';

/**
 * The approval policy: a pure function of the request and the options. Every check runs and
 * every failure is reported, so one denial tells the requester everything that is wrong.
 * Never throws: malformed input is a denial with reasons.
 */
export async function evaluate(cr: unknown, options: PolicyOptions): Promise<PolicyDecision> {
  let failures: PolicyFailure[];
  try {
    failures = await collectFailures(cr, options);
  } catch (err) {
    failures = [
      { rule: 'request', reason: `request could not be evaluated: ${(err as Error).message}` },
    ];
  }
  failures.sort((a, b) => POLICY_RULES.indexOf(a.rule) - POLICY_RULES.indexOf(b.rule));
  return { approved: failures.length === 0, reasons: failures.map((f) => f.reason), failures };
}

async function collectFailures(cr: unknown, options: PolicyOptions): Promise<PolicyFailure[]> {
  const spec = isRecord(cr) && isRecord(cr.spec) ? cr.spec : undefined;
  if (!spec) return [{ rule: 'request', reason: 'spec is missing' }];

  const read = await readCsr(spec.request);
  const failures: PolicyFailure[] = [...read.failures];
  const csr = read.csr;
  if (csr) {
    if (!csr.signatureValid) {
      failures.push({ rule: 'signature', reason: 'CSR signature does not verify' });
    }
    failures.push(...checkKeyAlgorithm(csr, options));
  }
  failures.push(...checkDuration(spec.duration, options));
  failures.push(...checkIsCa(spec.isCA));
  failures.push(...checkUsages(spec.usages));
  if (csr) {
    failures.push(...checkSubjectAndSans(csr));
    failures.push(...checkAttributes(csr));
    failures.push(...checkExtensions(csr));
  }
  const uris = csr?.sans.filter((s) => s.type === 'uri').map((s) => s.value);
  failures.push(...checkIdentity(spec.username, uris, options));
  return failures;
}

async function readCsr(request: unknown): Promise<{ csr?: CsrInfo; failures: PolicyFailure[] }> {
  const fail = (reason: string) => ({ failures: [{ rule: 'request' as const, reason }] });
  if (request === undefined || request === null || request === '')
    return fail('spec.request is missing');
  if (typeof request !== 'string') return fail(INVALID_CSR_REASON);
  if (request.length > MAX_REQUEST_BASE64_LENGTH) return fail('spec.request is too large');
  // The API carries spec.request as base64 of the PEM ([]byte in Go).
  if (!BASE64.test(request)) return fail(INVALID_CSR_REASON);
  const pem = Buffer.from(request, 'base64').toString('utf8');
  try {
    return { csr: await inspectCsr(pem), failures: [] };
  } catch (err) {
    if (err instanceof CsrParseError) return fail(INVALID_CSR_REASON);
    throw err;
  }
}
