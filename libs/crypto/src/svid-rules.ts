/**
 * The X.509-SVID rules a leaf certificate must meet by itself (spiffe-checklists B1, B3–B11, B13).
 * Each check names its rule, so a refusal can tell the operator which one failed.
 */
import { SpiffeId, SpiffeIdError } from '@spiffe-csi/spiffe';
import type { CertificateInfo } from './certificates';
import { OID } from './oids';

/** The rules this library enforces; B2 and B9 are MAYs with nothing to check. */
export type SvidRule =
  'B1' | 'B3' | 'B4' | 'B5' | 'B6' | 'B7' | 'B8' | 'B10' | 'B11' | 'B12' | 'B13' | 'B14' | 'B15' | 'B16' | 'B17';

export interface SvidViolation {
  rule: SvidRule;
  reason: string;
}

export const violation = (rule: SvidRule, reason: string): SvidViolation => ({ rule, reason });

/** B1 + B3: exactly one URI SAN, a valid SPIFFE ID with a path, equal to the ID we asked for. */
function identityViolation(leaf: CertificateInfo, expected: SpiffeId): SvidViolation | undefined {
  if (leaf.uriSans.length !== 1) {
    return violation('B1', `the leaf must have exactly one URI SAN, found ${leaf.uriSans.length}`);
  }
  let id: SpiffeId;
  try {
    id = SpiffeId.parse(leaf.uriSans[0]);
  } catch (error) {
    if (!(error instanceof SpiffeIdError)) throw error;
    return violation('B1', `the leaf's URI SAN ${JSON.stringify(leaf.uriSans[0])} is not a valid SPIFFE ID: ${error.message}`);
  }
  if (id.trustDomain !== expected.trustDomain) {
    return violation('B1', `the leaf's SPIFFE ID ${id} is not in trust domain ${expected.trustDomain}`);
  }
  if (id.path === '') return violation('B3', `the leaf's SPIFFE ID ${id} has no path`);
  if (!id.equals(expected)) return violation('B1', `the leaf's SPIFFE ID ${id} is not the volume's ${expected}`);
  return undefined;
}

/** B4: without a subject the SAN is the only name, so RFC 5280 wants its extension critical. */
function subjectViolation(leaf: CertificateInfo): SvidViolation | undefined {
  if (!leaf.subjectEmpty) return undefined;
  const san = leaf.extensions.find((e) => e.oid === OID.subjectAltName);
  return san?.critical ? undefined : violation('B4', 'the subject is empty but the subjectAltName extension is not critical');
}

/** B5, B6: a leaf is no CA and sets no path length. */
function constraintsViolation(leaf: CertificateInfo): SvidViolation | undefined {
  if (leaf.isCA) return violation('B5', 'the leaf is a CA certificate (basicConstraints cA is true)');
  if (leaf.basicConstraints?.pathLength !== undefined) return violation('B6', 'the leaf sets a basicConstraints pathLenConstraint');
  return undefined;
}

/** B7, B8, B10: keyUsage present, critical, digitalSignature, and nothing a signing certificate has. */
function keyUsageViolation(leaf: CertificateInfo): SvidViolation | undefined {
  const ku = leaf.keyUsage;
  if (!ku) return violation('B7', 'the leaf has no keyUsage extension');
  if (!ku.critical) return violation('B7', 'the leaf\'s keyUsage extension is not critical');
  if (!ku.usages.includes('digitalSignature')) return violation('B8', 'keyUsage lacks digitalSignature');
  const signing = ku.usages.filter((u) => u === 'keyCertSign' || u === 'cRLSign');
  if (signing.length) return violation('B10', `keyUsage includes ${signing.join(' and ')}`);
  return undefined;
}

/** B11: an extendedKeyUsage, when present, allows both TLS sides (mTLS between workloads). */
function extendedKeyUsageViolation(leaf: CertificateInfo): SvidViolation | undefined {
  const eku = leaf.extendedKeyUsage;
  if (!eku) return undefined;
  const missing = [[OID.serverAuth, 'serverAuth'], [OID.clientAuth, 'clientAuth']].filter(([oid]) => !eku.includes(oid));
  if (!missing.length) return undefined;
  return violation('B11', `extendedKeyUsage lacks ${missing.map(([, name]) => name).join(' and ')}`);
}

/** B13: name constraints belong on signing certificates only. */
function nameConstraintsViolation(leaf: CertificateInfo): SvidViolation | undefined {
  return leaf.extensions.some((e) => e.oid === OID.nameConstraints)
    ? violation('B13', 'the leaf carries a nameConstraints extension')
    : undefined;
}

/** The first leaf rule `leaf` breaks for `expected`, in checklist order; undefined when none. */
export function leafViolation(leaf: CertificateInfo, expected: SpiffeId): SvidViolation | undefined {
  return identityViolation(leaf, expected) ?? subjectViolation(leaf) ?? constraintsViolation(leaf) ??
    keyUsageViolation(leaf) ?? extendedKeyUsageViolation(leaf) ?? nameConstraintsViolation(leaf);
}

/**
 * B12 for one signing certificate (every certificate after the leaf): a CA with keyCertSign, and
 * a SPIFFE ID, if it has one, without a path and in the leaf's trust domain.
 */
export function signingCertificateViolation(cert: CertificateInfo, index: number, trustDomain: string): SvidViolation | undefined {
  const what = `chain certificate ${index} (${cert.subject || 'empty subject'})`;
  if (!cert.isCA) return violation('B12', `${what} signs the SVID but is not a CA`);
  if (!cert.keyUsage?.usages.includes('keyCertSign')) return violation('B12', `${what} signs the SVID but lacks keyUsage keyCertSign`);
  for (const uri of cert.uriSans) {
    let id: SpiffeId;
    try {
      id = SpiffeId.parse(uri);
    } catch {
      continue; // a non-SPIFFE URI on a CA is not the SVID's business
    }
    if (id.path !== '') return violation('B12', `${what} has the SPIFFE ID ${id}, which has a path`);
    if (id.trustDomain !== trustDomain) return violation('B12', `${what} belongs to trust domain ${id.trustDomain}, not ${trustDomain}`);
  }
  return undefined;
}
