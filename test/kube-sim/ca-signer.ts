import { CsrParseError, OID, decodePemBlocks, encodePem, inspectCsr } from '@spiffe-csi/crypto';
import {
  authorityKeyIdentifier, basicConstraints, extendedKeyUsage, extension, keyUsage, signCertificate,
} from './certificate-der';
import { DEFAULT_USAGES, EXTENDED_KEY_USAGE_OIDS, KEY_USAGE_BITS } from './usages';
import { csrParts, type CsrParts } from './x509-parts';
import { randomSerial, type CertificateAuthority } from './x509-util';

const DEFAULT_DURATION_MS = 90 * 24 * 3_600_000; // cert-manager's default certificate duration

export class SigningError extends Error {}

export interface SignInput {
  /** spec.request: base64 of the PEM CSR, as the JSON form of a Go []byte. */
  request: string;
  usages?: string[];
  isCA?: boolean;
  /** spec.duration, a Go duration string such as "1h0m0s". */
  duration?: string;
}

/**
 * Sign a CSR the way cert-manager's CA issuer does: subject and SANs copied from the CSR (SAN
 * critical when the CSR marks it so or the subject is empty), basicConstraints and keyUsage
 * critical, EKUs from spec.usages, notBefore now, notAfter now+duration capped at the CA's expiry.
 * Encoded by hand and signed by node:crypto: this runs on the driver benchmark's measured path.
 */
export async function signRequest(ca: CertificateAuthority, input: SignInput, durationOverrideMs?: number): Promise<string> {
  const { csr, subjectEmpty } = await checkedCsr(input.request);
  const usages = input.usages?.length ? input.usages : DEFAULT_USAGES;
  const notBefore = new Date();
  const durationMs = durationOverrideMs ?? (input.duration ? parseGoDuration(input.duration) : DEFAULT_DURATION_MS);
  const notAfter = new Date(Math.min(notBefore.getTime() + durationMs, ca.signing.notAfter.getTime()));

  const extensions = [extension(OID.basicConstraints, true, basicConstraints(!!input.isCA))];
  const keyUsageNames = usages.filter((u) => KEY_USAGE_BITS[u]).map((u) => KEY_USAGE_BITS[u]);
  const ku = keyUsage(input.isCA ? [...keyUsageNames, 'keyCertSign'] : keyUsageNames);
  if (ku) extensions.push(extension(OID.keyUsage, true, ku));
  const ekus = new Set(usages.filter((u) => EXTENDED_KEY_USAGE_OIDS[u]).map((u) => EXTENDED_KEY_USAGE_OIDS[u]));
  if (ekus.size) extensions.push(extension(OID.extKeyUsage, false, extendedKeyUsage(ekus)));
  if (csr.san) extensions.push(extension(OID.subjectAltName, csr.san.critical || subjectEmpty, csr.san.value));
  if (ca.signing.keyId) extensions.push(extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifier(ca.signing.keyId)));

  const der = signCertificate(
    { serial: Buffer.from(randomSerial(), 'hex'), issuer: ca.signing.subject, subject: csr.subject, notBefore, notAfter, spki: csr.spki, extensions },
    ca.signing.key,
  );
  return encodePem('CERTIFICATE', der) + '\n';
}

/** The CSR's raw parts, once inspectCsr has parsed it strictly and checked its self-signature. */
async function checkedCsr(requestBase64: string): Promise<{ csr: CsrParts; subjectEmpty: boolean }> {
  const pem = Buffer.from(requestBase64, 'base64').toString('latin1');
  const blocks = pem.match(/-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----/g);
  if (blocks?.length !== 1) throw new SigningError('failed to decode csr: expected exactly one CERTIFICATE REQUEST PEM block');
  let info;
  try {
    info = await inspectCsr(blocks[0]);
  } catch (e) {
    if (e instanceof CsrParseError) throw new SigningError(`failed to decode csr: ${e.message}`);
    throw e;
  }
  if (!info.signatureValid) throw new SigningError('error checking CSR signature: signature does not match the public key');
  return { csr: csrParts(decodePemBlocks(blocks[0])[0].der), subjectEmpty: info.subject.length === 0 };
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3_600e3 };

/** Go's time.ParseDuration, e.g. "1h0m0s", "90m", "1.5h". */
export function parseGoDuration(value: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(value))) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    consumed = re.lastIndex;
  }
  if (!value || consumed !== value.length) throw new SigningError(`invalid duration "${value}"`);
  return total;
}
