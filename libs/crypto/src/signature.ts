import { verify, constants, type KeyObject } from 'node:crypto';
import { DerReader, TAG, decodeSmallUnsigned } from './der-reader';
import { OID } from './oids';
import { readAlgorithmIdentifier, type AlgorithmIdentifier } from './public-key';

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

interface PssParams {
  hash: string | undefined;
  saltLength: number;
}

/** RSASSA-PSS-params (RFC 4055); absent fields take the SHA-1 / salt 20 defaults. */
function readPssParams(parameters: Uint8Array | undefined): PssParams {
  const params: PssParams = { hash: 'sha1', saltLength: 20 };
  if (!parameters) return params;
  const outer = new DerReader(parameters);
  const r = DerReader.of(parameters, outer.read(TAG.sequence, 'PSS parameters'));
  const hash = r.readOptional(0xa0);
  if (hash)
    params.hash =
      HASH_BY_OID[readAlgorithmIdentifier(DerReader.of(parameters, hash), 'PSS hash').algorithm];
  r.readOptional(0xa1); // MGF1 with the same hash is all OpenSSL verifies against anyway.
  const salt = r.readOptional(0xa2);
  if (salt) {
    const inner = DerReader.of(parameters, salt);
    params.saltLength = decodeSmallUnsigned(
      inner.contents(inner.read(TAG.integer, 'PSS salt length')),
    );
  }
  return params;
}

/** crypto.verify's callback form: the check runs on libuv's thread pool, not the event loop. */
function verifyOffThread(
  hash: string | null,
  data: Uint8Array,
  key: KeyObject | { key: KeyObject; padding: number; saltLength: number },
  signature: Uint8Array,
): Promise<boolean> {
  return new Promise((resolve) => {
    verify(hash, data, key, signature, (err, valid) => resolve(!err && valid));
  });
}

function verifyPss(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): Promise<boolean> {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return Promise.resolve(false);
  const { hash, saltLength } = readPssParams(alg.parameters);
  if (!hash) return Promise.resolve(false);
  return verifyOffThread(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
}

/**
 * Verifies a signature with OpenSSL, off the event loop (a P-521 check costs milliseconds, and the
 * approver checks one per request). Never rejects: an unknown algorithm, a key of the wrong type
 * for the algorithm (which OpenSSL would otherwise happily use) or malformed parameters all give
 * false.
 */
export async function verifySignature(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject | undefined,
): Promise<boolean> {
  if (!key) return false;
  try {
    if (alg.algorithm === OID.rsassaPss) return await verifyPss(alg, data, signature, key);
    const scheme = SCHEMES[alg.algorithm];
    if (!scheme || key.asymmetricKeyType !== scheme.keyType) return false;
    return await verifyOffThread(scheme.hash, data, key, signature);
  } catch {
    return false;
  }
}
