import { createPublicKey, KeyObject, webcrypto } from 'node:crypto';
import { DerReader, TAG, decodeBitString, decodeOid, unsignedBitLength } from './der-reader';
import { CURVE_NAME_BY_OID, KEY_ALGORITHM_BY_OID, OID } from './oids';

export interface PublicKeyDescription {
  algorithm: string;
  namedCurve?: string;
  modulusBits?: number;
}

export interface AlgorithmIdentifier {
  algorithm: string;
  /** DER encoding of the parameters, when present. */
  parameters?: Uint8Array;
}

/** Reads an AlgorithmIdentifier SEQUENCE from `r`. */
export function readAlgorithmIdentifier(r: DerReader, what: string): AlgorithmIdentifier {
  const inner = DerReader.of(r.buf, r.read(TAG.sequence, what));
  const algorithm = decodeOid(inner.contents(inner.read(TAG.oid, `${what} OID`)));
  const params = inner.hasMore() ? inner.read(undefined, `${what} parameters`) : undefined;
  inner.done(what);
  return params ? { algorithm, parameters: inner.encoding(params) } : { algorithm };
}

/**
 * Describes a SubjectPublicKeyInfo from its DER alone (curve from the parameters OID, RSA size
 * from the modulus), without asking OpenSSL to load the key.
 */
export function describeSpki(spkiDer: Uint8Array): PublicKeyDescription {
  const outer = new DerReader(spkiDer);
  const r = DerReader.of(spkiDer, outer.read(TAG.sequence, 'public key'));
  outer.done('public key');
  const alg = readAlgorithmIdentifier(r, 'public key algorithm');
  const key = decodeBitString(r.contents(r.read(TAG.bitString, 'public key bits')));
  r.done('public key');
  const description: PublicKeyDescription = {
    algorithm: KEY_ALGORITHM_BY_OID[alg.algorithm] ?? alg.algorithm,
  };
  if (alg.algorithm === OID.ecPublicKey && alg.parameters?.[0] === TAG.oid) {
    const params = new DerReader(alg.parameters);
    const curveOid = decodeOid(params.contents(params.read(TAG.oid, 'curve')));
    description.namedCurve = CURVE_NAME_BY_OID[curveOid] ?? curveOid;
  }
  if (alg.algorithm === OID.rsaEncryption || alg.algorithm === OID.rsassaPss) {
    const rsa = new DerReader(key);
    const fields = DerReader.of(key, rsa.read(TAG.sequence, 'RSA public key'));
    description.modulusBits = unsignedBitLength(
      fields.contents(fields.read(TAG.integer, 'RSA modulus')),
    );
  }
  return description;
}

/** Loads an SPKI; undefined when OpenSSL cannot use it (unknown algorithm, bad point, ...). */
export function loadSpki(spkiDer: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

const WEBCRYPTO_CURVES = new Set(['P-256', 'P-384', 'P-521']);

/**
 * loadSpki for the hot path: an EC key on a NIST curve is imported from its raw point, which skips
 * OpenSSL 3's generic decoder (~0.25 ms a key on the approver's event loop, about half of that
 * this way). The point is still validated (it must be on the curve); anything else, or anything
 * the raw import refuses, goes through loadSpki, so both accept exactly the same keys.
 */
export async function loadSpkiFast(spkiDer: Uint8Array): Promise<KeyObject | undefined> {
  try {
    const { namedCurve, point } = ecPoint(spkiDer);
    if (namedCurve && WEBCRYPTO_CURVES.has(namedCurve) && point[0] === 0x04) {
      const key = await webcrypto.subtle.importKey(
        'raw',
        point,
        { name: 'ECDSA', namedCurve },
        true,
        ['verify'],
      );
      return KeyObject.from(key);
    }
  } catch {
    // Fall through: loadSpki gives the definitive answer.
  }
  return loadSpki(spkiDer);
}

function ecPoint(spkiDer: Uint8Array): { namedCurve?: string; point: Uint8Array } {
  const outer = new DerReader(spkiDer);
  const r = DerReader.of(spkiDer, outer.read(TAG.sequence, 'public key'));
  const alg = readAlgorithmIdentifier(r, 'public key algorithm');
  const point = decodeBitString(r.contents(r.read(TAG.bitString, 'public key bits')));
  if (alg.algorithm !== OID.ecPublicKey) return { point };
  return { namedCurve: describeSpki(spkiDer).namedCurve, point };
}

/** SPKI DER of any public or private key, the canonical form for comparing keys. */
export function spkiDerOf(key: KeyObject | string): Buffer {
  // createPublicKey derives from a private KeyObject but refuses a public one.
  const publicKey = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  return publicKey.export({ type: 'spki', format: 'der' });
}
