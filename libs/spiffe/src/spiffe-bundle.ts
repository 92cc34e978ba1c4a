/**
 * The SPIFFE bundle format (Trust Domain and Bundle spec; X509-SVID §6): a JWK Set with one
 * `x509-svid` key per CA certificate. Each key carries the public key parameters (`kty` plus
 * crv/x/y or n/e, as RFC 7517 wants them) and `x5c` with exactly that one certificate; `kid` is
 * never set for X.509 authorities.
 */
import { X509Certificate, type JsonWebKey } from 'node:crypto';

export interface X509BundleKey extends JsonWebKey {
  use: 'x509-svid';
  kty: string;
  x5c: [string];
}

export interface SpiffeBundleDocument {
  keys: X509BundleKey[];
}

/** One JWK per distinct CA certificate, in the order given. Throws on a certificate node cannot read. */
export function x509BundleDocument(caCertificatesDer: Uint8Array[]): SpiffeBundleDocument {
  const seen = new Set<string>();
  const keys: X509BundleKey[] = [];
  for (const der of caCertificatesDer) {
    const x5c = Buffer.from(der).toString('base64');
    if (seen.has(x5c)) continue;
    seen.add(x5c);
    keys.push({ ...publicJwkOf(x5c, der), x5c: [x5c] });
  }
  return { keys };
}

/**
 * The JWK part of a bundle key, per CA certificate. Every issuance writes the bundle and the CAs
 * are the same few, so OpenSSL's parse of each is kept (bounded: a churn of CAs starts it over).
 */
type BundleJwk = JsonWebKey & { use: 'x509-svid'; kty: string };
const JWKS_BY_CERT = new Map<string, BundleJwk>();

function publicJwkOf(x5c: string, der: Uint8Array): BundleJwk {
  let jwk = JWKS_BY_CERT.get(x5c);
  if (!jwk) {
    const { kty, ...params } = new X509Certificate(der).publicKey.export({ format: 'jwk' });
    if (JWKS_BY_CERT.size >= 64) JWKS_BY_CERT.clear();
    JWKS_BY_CERT.set(x5c, (jwk = { use: 'x509-svid', kty: kty ?? '', ...params }));
  }
  return jwk;
}

/** The bundle file's bytes: the document as indented JSON with a trailing newline. */
export function encodeX509Bundle(caCertificatesDer: Uint8Array[]): string {
  return JSON.stringify(x509BundleDocument(caCertificatesDer), null, 2) + '\n';
}
