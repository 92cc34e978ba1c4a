import { checkAttributes } from './attribute-check';
import { checkExtensions, checkKeyAlgorithm, checkSubjectAndSans } from './csr-checks';
import { isRecord } from './describe';
import { checkDriverIdentity } from './driver-identity-check';
import { checkIdentity } from './identity-check';
import {
  POLICY_RULES,
  type PolicyDecision,
  type PolicyFailure,
  type PolicyOptions,
} from './policy-types';
import { readCsr } from './read-csr';
import { checkDuration, checkIsCa, checkUsages } from './spec-checks';

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
  const { driverServiceAccount } = options;
  failures.push(
    ...(driverServiceAccount
      ? checkDriverIdentity(spec.username, uris, namespaceOf(cr), {
          ...options,
          driverServiceAccount,
        })
      : checkIdentity(spec.username, uris, options)),
  );
  return failures;
}

function namespaceOf(cr: unknown): unknown {
  return isRecord(cr) && isRecord(cr.metadata) ? cr.metadata.namespace : undefined;
}
