import { CURVE_OF, OID, type CsrInfo } from '@spiffe-csi/crypto';
import { describeOid } from './describe';
import type { PolicyFailure, PolicyOptions } from './policy-types';

const ALLOWED_KEY_USAGES = ['digitalSignature', 'keyEncipherment'];
const ALLOWED_EXTENDED_KEY_USAGES: string[] = [OID.serverAuth, OID.clientAuth];
const ALLOWED_EXTENSIONS: string[] = [OID.subjectAltName, OID.keyUsage, OID.extKeyUsage];

// Names for the extensions most likely to be smuggled in, so the reason reads well.
const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  [OID.basicConstraints]: 'basic constraints',
  '2.5.29.14': 'subject key identifier',
  '2.5.29.30': 'name constraints',
  '2.5.29.32': 'certificate policies',
  '1.3.6.1.5.5.7.1.1': 'authority information access',
};

function describeExpectedKey(options: PolicyOptions): string {
  return `ECDSA ${CURVE_OF[options.keyAlgorithm]}`;
}

function describeKey(key: CsrInfo['publicKey']): string {
  if (key.algorithm === 'ECDSA') return `ECDSA ${key.namedCurve ?? 'with an unknown curve'}`;
  if (key.algorithm === 'RSA' && key.modulusBits) return `RSA ${key.modulusBits}`;
  return key.algorithm;
}

export function checkKeyAlgorithm(csr: CsrInfo, options: PolicyOptions): PolicyFailure[] {
  const key = csr.publicKey;
  if (key.algorithm === 'ECDSA' && key.namedCurve === CURVE_OF[options.keyAlgorithm]) return [];
  return [
    {
      rule: 'key-algorithm',
      reason: `key must be ${describeExpectedKey(options)}, got ${describeKey(key)}`,
    },
  ];
}

const SAN_TYPE_NAMES = { dns: 'DNS', ip: 'IP address', email: 'email address', other: 'non-URI' };

/** No subject, no identifying SANs besides the one URI SAN the SPIFFE ID lives in. */
export function checkSubjectAndSans(csr: CsrInfo): PolicyFailure[] {
  const failures: PolicyFailure[] = [];
  const fail = (reason: string) => failures.push({ rule: 'subject', reason });
  if (csr.subject.length > 0) {
    const types = [...new Set(csr.subject.map((a) => a.type))].slice(0, 5);
    fail(`CSR subject must be empty, got ${types.join(', ')}`);
  }
  for (const type of ['dns', 'ip', 'email', 'other'] as const) {
    if (csr.sans.some((s) => s.type === type))
      fail(`CSR must not contain ${SAN_TYPE_NAMES[type]} SANs`);
  }
  const uris = csr.sans.filter((s) => s.type === 'uri').length;
  if (uris !== 1) fail(`CSR must contain exactly one URI SAN, got ${uris}`);
  return failures;
}

/** Only SAN, key usage and extended key usage, and those only with the usages a leaf SVID needs. */
export function checkExtensions(csr: CsrInfo): PolicyFailure[] {
  const failures: PolicyFailure[] = [];
  const fail = (reason: string) => failures.push({ rule: 'extensions', reason });
  const seen = new Set<string>();
  for (const { oid } of csr.extensions) {
    if (seen.has(oid))
      fail(`CSR extension ${describeOid(EXTENSION_NAMES, oid)} appears more than once`);
    else if (!ALLOWED_EXTENSIONS.includes(oid))
      fail(`CSR extension ${describeOid(EXTENSION_NAMES, oid)} is not allowed`);
    seen.add(oid);
  }
  const badUsages = (csr.keyUsage?.usages ?? []).filter((u) => !ALLOWED_KEY_USAGES.includes(u));
  if (badUsages.length > 0) {
    fail(
      `CSR key usage must only contain ${ALLOWED_KEY_USAGES.join(', ')}, got ${badUsages.join(', ')}`,
    );
  }
  const badEkus = (csr.extendedKeyUsage ?? []).filter(
    (u) => !ALLOWED_EXTENDED_KEY_USAGES.includes(u),
  );
  if (badEkus.length > 0) {
    fail(
      `CSR extended key usage must only contain serverAuth, clientAuth, got ${badEkus.slice(0, 5).join(', ')}`,
    );
  }
  return failures;
}
