import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Raw extension: lets tests request shapes no well-behaved tool would produce. */
export function rawExtension(oid: string, critical: boolean, derHex: string): x509.Extension {
  return new x509.Extension(oid, critical, Buffer.from(derHex.replace(/\s/g, ''), 'hex'));
}

/** A correctly self-signed P-256 CSR carrying exactly the given extensions. */
export async function signedCsr(extensions: x509.Extension[], name?: string): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify'])) as unknown;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: keys as x509.Pkcs10CertificateRequestCreateParams['keys'],
    signingAlgorithm: {
      name: 'ECDSA',
      hash: 'SHA-256',
    } as x509.Pkcs10CertificateRequestCreateParams['signingAlgorithm'],
    extensions,
  });
  return csr.toString('pem');
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
}

export function derToPem(der: Uint8Array, label = 'CERTIFICATE REQUEST'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
