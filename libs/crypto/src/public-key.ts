import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { KEY_ALGORITHM_BY_OID } from './oids';

export interface PublicKeyDescription {
  algorithm: string;
  namedCurve?: string;
  modulusBits?: number;
}

/** OpenSSL curve names → the NIST names used in our API. */
const CURVE_BY_OPENSSL_NAME: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  prime192v1: 'P-192',
  secp224r1: 'P-224',
  secp256k1: 'secp256k1',
};

/** Loads an SPKI; undefined when OpenSSL cannot use it (unknown algorithm, bad point, ...). */
export function loadSpki(spkiDer: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

export function describePublicKey(
  algorithmOid: string,
  key: KeyObject | undefined,
): PublicKeyDescription {
  const description: PublicKeyDescription = {
    algorithm: KEY_ALGORITHM_BY_OID[algorithmOid] ?? algorithmOid,
  };
  const details = key?.asymmetricKeyDetails;
  if (details?.namedCurve) {
    description.namedCurve = CURVE_BY_OPENSSL_NAME[details.namedCurve] ?? details.namedCurve;
  }
  if (details?.modulusLength) description.modulusBits = details.modulusLength;
  return description;
}

/** Describes an SPKI given as DER; throws if it is not an SPKI structure. */
export function describeSpki(spkiDer: Uint8Array): PublicKeyDescription {
  const { algorithm } = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  return describePublicKey(algorithm.algorithm, loadSpki(spkiDer));
}

/** SPKI DER of any public or private key, the canonical form for comparing keys. */
export function spkiDerOf(key: KeyObject | string): Buffer {
  // createPublicKey derives from a private KeyObject but refuses a public one.
  const publicKey = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  return publicKey.export({ type: 'spki', format: 'der' });
}
