import { x509, EC_P256, randomSerial, type CertificateAuthority } from './x509-util';
import { DEFAULT_USAGES, EXTENDED_KEY_USAGE_OIDS, KEY_USAGE_BITS } from './usages';

const SAN_OID = '2.5.29.17';
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
 */
export async function signRequest(ca: CertificateAuthority, input: SignInput, durationOverrideMs?: number): Promise<string> {
  const csr = parseCsr(input.request);
  if (!(await csr.verify())) throw new SigningError('error checking CSR signature: signature does not match the public key');
  const usages = input.usages?.length ? input.usages : DEFAULT_USAGES;
  const notBefore = new Date();
  const durationMs = durationOverrideMs ?? (input.duration ? parseGoDuration(input.duration) : DEFAULT_DURATION_MS);
  const notAfter = new Date(Math.min(notBefore.getTime() + durationMs, ca.cert.notAfter.getTime()));

  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(!!input.isCA, undefined, true)];
  let keyUsage = usages.reduce((flags, u) => flags | (KEY_USAGE_BITS[u] ? x509.KeyUsageFlags[KEY_USAGE_BITS[u] as keyof typeof x509.KeyUsageFlags] : 0), 0);
  if (input.isCA) keyUsage |= x509.KeyUsageFlags.keyCertSign;
  if (keyUsage) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  const ekus = [...new Set(usages.filter((u) => EXTENDED_KEY_USAGE_OIDS[u]).map((u) => EXTENDED_KEY_USAGE_OIDS[u]))];
  if (ekus.length) extensions.push(new x509.ExtendedKeyUsageExtension(ekus));
  const san = csr.extensions.find((e) => e.type === SAN_OID);
  if (san) extensions.push(new x509.Extension(SAN_OID, san.critical || csr.subjectName.toString() === '', san.value));
  const caSki = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (caSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSki.keyId));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(), subject: csr.subjectName, issuer: ca.cert.subjectName, notBefore, notAfter,
    publicKey: csr.publicKey, signingKey: ca.privateKey, signingAlgorithm: EC_P256, extensions,
  });
  return cert.toString('pem') + '\n';
}

function parseCsr(requestBase64: string): x509.Pkcs10CertificateRequest {
  const pem = Buffer.from(requestBase64, 'base64').toString('latin1');
  const blocks = pem.match(/-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----/g);
  if (blocks?.length !== 1) throw new SigningError('failed to decode csr: expected exactly one CERTIFICATE REQUEST PEM block');
  try {
    return new x509.Pkcs10CertificateRequest(blocks[0]);
  } catch (e) {
    throw new SigningError(`failed to decode csr: ${(e as Error).message}`);
  }
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
