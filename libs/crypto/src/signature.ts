import { verify, constants, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OID } from './oids';

interface SignatureScheme {
  keyType: string;
  hash: string | null;
}

const HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SCHEMES: Readonly<Record<string, SignatureScheme>> = {
  '1.2.840.10045.4.1': { keyType: 'ec', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { keyType: 'ec', hash: 'sha224' },
  [OID.ecdsaWithSha256]: { keyType: 'ec', hash: 'sha256' },
  [OID.ecdsaWithSha384]: { keyType: 'ec', hash: 'sha384' },
  [OID.ecdsaWithSha512]: { keyType: 'ec', hash: 'sha512' },
  '1.2.840.113549.1.1.5': { keyType: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { keyType: 'rsa', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { keyType: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { keyType: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { keyType: 'rsa', hash: 'sha512' },
  [OID.ed25519]: { keyType: 'ed25519', hash: null },
  [OID.ed448]: { keyType: 'ed448', hash: null },
};

function verifyPss(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): boolean {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return false;
  const params = alg.parameters
    ? AsnConvert.parse(alg.parameters, RsaSaPssParams)
    : new RsaSaPssParams();
  const hash = HASH_BY_OID[params.hashAlgorithm.algorithm];
  if (!hash) return false;
  return verify(
    hash,
    data,
    {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: params.saltLength,
    },
    signature,
  );
}

/**
 * Verifies a signature with OpenSSL. Never throws: an unknown algorithm, a key of the wrong type
 * for the algorithm (which OpenSSL would otherwise happily use) or malformed parameters all give
 * false.
 */
export function verifySignature(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject | undefined,
): boolean {
  if (!key) return false;
  try {
    if (alg.algorithm === OID.rsassaPss) return verifyPss(alg, data, signature, key);
    const scheme = SCHEMES[alg.algorithm];
    if (!scheme || key.asymmetricKeyType !== scheme.keyType) return false;
    return verify(scheme.hash, data, key, signature);
  } catch {
    return false;
  }
}
