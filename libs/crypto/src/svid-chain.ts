/**
 * B14 and B17 (spiffe-checklists): the SVID chain is signed link by link up to a certificate of
 * its own trust domain's bundle, every certificate valid now. A parent is found the way Go's
 * crypto/x509 finds one, by the exact bytes of the child's issuer Name against the parent's
 * subject, so a chain that go-spiffe would reject is rejected here too.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from './certificates';
import { violation, type SvidViolation } from './svid-rules';

/** Longest path we follow from the leaf (leaf + intermediates). */
const MAX_PATH = 8;

const named = (cert: CertificateInfo) => cert.subject || 'empty subject';

/** A cache of OpenSSL's view of each certificate: signatures are checked by node:crypto. */
class Signatures {
  private readonly parsed = new Map<CertificateInfo, X509Certificate>();

  signedBy(child: CertificateInfo, parent: CertificateInfo): boolean {
    if (!child.issuerDer.equals(parent.subjectDer)) return false;
    return this.x509(child).verify(parentPublicKey(parent));
  }

  private x509(cert: CertificateInfo): X509Certificate {
    let x = this.parsed.get(cert);
    if (!x) this.parsed.set(cert, (x = new X509Certificate(cert.der)));
    return x;
  }
}

/**
 * Parents are CA certificates, the same few for every volume; OpenSSL's parse of one (~0.5 ms)
 * was paid again on every issuance. Keyed by the DER itself, so a changed CA is a new entry; the
 * bound only matters if CAs churn, and then the cache simply starts over.
 */
const PARENT_KEYS = new Map<string, KeyObject>();
const MAX_PARENT_KEYS = 64;

function parentPublicKey(parent: CertificateInfo): KeyObject {
  const id = parent.der.toString('base64');
  let key = PARENT_KEYS.get(id);
  if (!key) {
    if (PARENT_KEYS.size >= MAX_PARENT_KEYS) PARENT_KEYS.clear();
    PARENT_KEYS.set(id, (key = new X509Certificate(parent.der).publicKey));
  }
  return key;
}

function validityViolation(cert: CertificateInfo, what: string, now: Date): SvidViolation | undefined {
  if (now < cert.notBefore) return violation('B14', `${what} (${named(cert)}) is not valid before ${cert.notBefore.toISOString()}`);
  if (now > cert.notAfter) return violation('B14', `${what} (${named(cert)}) expired at ${cert.notAfter.toISOString()}`);
  return undefined;
}

/**
 * The first B14/B17 violation of `chain` (leaf first) against `bundle`, or undefined. An empty
 * bundle (no --source-ca-bundle and no status.ca) leaves only the links inside the chain to check.
 */
export function chainViolation(chain: CertificateInfo[], bundle: CertificateInfo[], now: Date): SvidViolation | undefined {
  for (const [i, cert] of chain.entries()) {
    const problem = validityViolation(cert, i === 0 ? 'the leaf' : `chain certificate ${i}`, now);
    if (problem) return problem;
  }
  const anchors = bundle.filter((ca) => !validityViolation(ca, '', now));
  if (bundle.length && !anchors.length) return violation('B14', 'every certificate of the trust bundle is outside its validity period');
  const signatures = new Signatures();
  const anchored = (cert: CertificateInfo) => anchors.some((ca) => signatures.signedBy(cert, ca));

  const leafSigned = anchored(chain[0]) || (chain[1] !== undefined && signatures.signedBy(chain[0], chain[1]));
  if (!leafSigned && (bundle.length || chain[1])) {
    return violation('B17', bundle.length
      ? 'the leaf is signed neither by the next chain certificate nor by a certificate of the trust bundle'
      : 'the leaf is not signed by the next chain certificate');
  }
  for (let i = 0; i < Math.min(chain.length, MAX_PATH); i++) {
    if (anchored(chain[i])) return undefined;
    const parent = chain[i + 1];
    if (!parent) break;
    if (!signatures.signedBy(chain[i], parent)) {
      return violation('B12', `chain certificate ${i} (${named(chain[i])}) is not signed by chain certificate ${i + 1}: the chain is out of order or broken`);
    }
  }
  if (!bundle.length) return undefined;
  return violation('B14', chain.length > MAX_PATH
    ? `the chain is longer than ${MAX_PATH} certificates`
    : 'the chain does not verify against the trust bundle of its trust domain');
}
