import { generateKeyPair, type KeyObject } from 'node:crypto';
import type { NamedCurve } from './curves';
import { encodeEcKey } from './ec-key-der';
import { encodePem } from './pem';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521';
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521'];

export const CURVE_OF: Record<KeyAlgorithm, NamedCurve> = {
  'ecdsa-p256': 'P-256',
  'ecdsa-p384': 'P-384',
  'ecdsa-p521': 'P-521',
};

/** Signature hash matched to the curve strength, as Go's x509 does. */
export const HASH_OF: Record<KeyAlgorithm, HashAlgorithm> = {
  'ecdsa-p256': 'SHA-256',
  'ecdsa-p384': 'SHA-384',
  'ecdsa-p521': 'SHA-512',
};

export interface GeneratedKey {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Unencrypted PKCS#8 "PRIVATE KEY" PEM: the only form go-spiffe loads. */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo DER of the public key (what the CSR carries and the certificate must). */
  spkiDer: Buffer;
}

export function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && (KEY_ALGORITHMS as readonly string[]).includes(value);
}

/** A fresh key per issuance; generated off the event loop by OpenSSL's thread pool. */
export async function generateKey(alg: KeyAlgorithm): Promise<GeneratedKey> {
  if (!isKeyAlgorithm(alg)) {
    throw new Error(`unsupported key algorithm: expected one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  const { publicKey, privateKey } = await new Promise<{
    publicKey: KeyObject;
    privateKey: KeyObject;
  }>((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: CURVE_OF[alg] }, (err, pub, priv) =>
      err ? reject(err) : resolve({ publicKey: pub, privateKey: priv }),
    ),
  );
  const { spkiDer, pkcs8Der } = encodeEcKey(privateKey, CURVE_OF[alg]);
  return {
    algorithm: alg,
    privateKey,
    publicKey,
    privateKeyPem: encodePem('PRIVATE KEY', pkcs8Der),
    spkiDer,
  };
}
