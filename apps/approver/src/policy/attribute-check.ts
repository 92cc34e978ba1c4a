import { OID, type CsrInfo } from '@spiffe-csi/crypto';
import { describeOid } from './describe';
import type { PolicyFailure } from './policy-types';

// Attributes that issuers have been known to honour as extra names or enrolment data, named so a
// denial says what was smuggled in. Any other OID is refused just the same, by number.
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  [OID.extensionRequest]: 'extensionRequest',
  '1.2.840.113549.1.9.7': 'challengePassword',
  '1.2.840.113549.1.9.2': 'unstructuredName',
  '1.2.840.113549.1.9.8': 'unstructuredAddress',
  '1.2.840.113549.1.9.15': 'smimeCapabilities',
  '1.3.6.1.4.1.311.2.1.14': 'msExtensionRequest',
  '1.3.6.1.4.1.311.13.2.1': 'enrollmentNameValuePair',
  '1.3.6.1.4.1.311.13.2.2': 'enrollmentCSP',
  '1.3.6.1.4.1.311.13.2.3': 'osVersion',
  '1.3.6.1.4.1.311.21.20': 'requestClientInfo',
};

/**
 * The seed's rule is "no attributes except the single URI SAN": a CSR may carry at most one
 * attribute, an extensionRequest with exactly one value. Everything else is refused by name,
 * because some issuers (enterprise CAs) turn a challengePassword, a Microsoft extension request or
 * an enrolment name-value pair such as `SAN:dns=…` into names the other rules never looked at.
 * A CSR without attributes passes here; its missing URI SAN is the subject rule's to report.
 */
export function checkAttributes(csr: CsrInfo): PolicyFailure[] {
  const failures: PolicyFailure[] = [];
  const fail = (reason: string) => failures.push({ rule: 'attributes', reason });
  const name = (oid: string) => describeOid(ATTRIBUTE_NAMES, oid);
  let extensionRequests = 0;
  for (const { oid, valueCount } of csr.attributes) {
    if (oid !== OID.extensionRequest) {
      fail(`CSR attribute ${name(oid)} is not allowed`);
      continue;
    }
    if (++extensionRequests === 2) fail(`CSR attribute ${name(oid)} appears more than once`);
    if (valueCount !== 1) {
      fail(`CSR attribute ${name(oid)} must have exactly one value, got ${valueCount}`);
    }
  }
  return failures;
}
