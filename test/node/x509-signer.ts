// The CA issuer stand-in's signer for test:node: cert-manager's CA issuer behaviour (subject and
// SANs copied from the CSR, SAN critical when the subject is empty, basicConstraints CA:false and
// keyUsage critical, EKUs from spec.usages, notAfter = now + duration capped at the CA's expiry),
// built with @peculiar/x509 alone — not libs/crypto and not kube-sim's DER writer — so that a bug
// in our own DER code cannot hide itself behind an oracle that shares it.
import { parseGoDuration, SigningError, type SignInput } from '../kube-sim/ca-signer';
import { EXTENDED_KEY_USAGE_OIDS } from '../kube-sim/usages';
import { x509, type CertificateAuthority } from '../kube-sim/x509-util';

const DEFAULT_USAGES = ['digital signature', 'key encipherment'];
const KEY_USAGE_FLAGS: Record<string, number> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
};
const SAN_OID = '2.5.29.17';

export async function signWithPeculiar(ca: CertificateAuthority, input: SignInput, durationOverrideMs?: number): Promise<string> {
  const pem = Buffer.from(input.request, 'base64').toString('latin1');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (e) {
    throw new SigningError(`failed to decode csr: ${(e as Error).message}`);
  }
  if (!(await csr.verify())) throw new SigningError('error checking CSR signature: signature does not match the public key');
  const usages = input.usages?.length ? input.usages : DEFAULT_USAGES;
  const notBefore = new Date();
  const durationMs = durationOverrideMs ?? (input.duration ? parseGoDuration(input.duration) : 90 * 24 * 3_600_000);
  const notAfter = new Date(Math.min(notBefore.getTime() + durationMs, ca.cert.notAfter.getTime()));
  const subjectEmpty = csr.subjectName.toJSON().length === 0;

  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(!!input.isCA, undefined, true)];
  const flags = usages.reduce((f, u) => f | (KEY_USAGE_FLAGS[u] ?? 0), input.isCA ? x509.KeyUsageFlags.keyCertSign : 0);
  if (flags) extensions.push(new x509.KeyUsagesExtension(flags, true));
  const ekus = [...new Set(usages.map((u) => EXTENDED_KEY_USAGE_OIDS[u]).filter(Boolean))];
  if (ekus.length) extensions.push(new x509.ExtendedKeyUsageExtension(ekus, false));
  const san = csr.extensions.find((e) => e.type === SAN_OID);
  if (san) extensions.push(new x509.Extension(SAN_OID, san.critical || subjectEmpty, san.value));
  extensions.push(await authorityKeyId(ca));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomHexSerial(), subject: csr.subjectName, issuer: ca.cert.subjectName, notBefore, notAfter,
    publicKey: csr.publicKey, signingKey: ca.privateKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, extensions,
  });
  return cert.toString('pem') + '\n';
}

// Once per CA, as Go's x509.CreateCertificate copies the parent's SubjectKeyId instead of hashing
// the CA key again for every certificate: the stand-in should not cost more than the real issuer.
const AKI = new WeakMap<CertificateAuthority, Promise<x509.Extension>>();
function authorityKeyId(ca: CertificateAuthority): Promise<x509.Extension> {
  let aki = AKI.get(ca);
  if (!aki) AKI.set(ca, (aki = x509.AuthorityKeyIdentifierExtension.create(ca.cert, false)));
  return aki;
}

function randomHexSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
