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
    const { kty, ...params } = new X509Certificate(der).publicKey.export({ format: 'jwk' });
    keys.push({ use: 'x509-svid', kty: kty ?? '', ...params, x5c: [x5c] });
  }
  return { keys };
}

/** The bundle file's bytes: the document as indented JSON with a trailing newline. */
export function encodeX509Bundle(caCertificatesDer: Uint8Array[]): string {
  return JSON.stringify(x509BundleDocument(caCertificatesDer), null, 2) + '\n';
}
