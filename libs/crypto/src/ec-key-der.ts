import type { KeyObject } from 'node:crypto';
import {
  bitString,
  objectIdentifier,
  octetString,
  sequence,
  smallInteger,
  tlv,
} from './der-writer';
import type { NamedCurve } from './curves';
import { OID } from './oids';

const CURVE_OID: Record<NamedCurve, string> = {
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
  'P-521': '1.3.132.0.35',
};

export interface EncodedEcKey {
  /** SubjectPublicKeyInfo DER, uncompressed point: what OpenSSL's spki export writes. */
  spkiDer: Buffer;
  /** PKCS#8 PrivateKeyInfo DER holding an RFC 5915 ECPrivateKey, as OpenSSL's pkcs8 export writes. */
  pkcs8Der: Buffer;
}

/**
 * Encodes a private EC key from its JWK form. OpenSSL 3's encoders cost ~0.15 ms (PKCS#8) and
 * ~0.25 ms (SPKI) of the event loop per key, the JWK export ~0.05 ms; each publish needs both
 * encodings, so the driver builds the (fixed-shape) DER itself. Byte-identical to OpenSSL's output.
 *
 * Give it keys from the async generateKeyPair (as generateKey does), never generateKeyPairSync:
 * Node 20 holds the key's mutex while it allocates the JWK strings, and a GC at that moment that
 * collects the finished sync key-generation job locks the same mutex: the thread deadlocks. The
 * async job is freed right after its callback, so it cannot be collected later.
 */
export function encodeEcKey(privateKey: KeyObject, curve: NamedCurve): EncodedEcKey {
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || !jwk.x || !jwk.y || !jwk.d) throw new Error('not an EC private key');
  const algorithm = sequence(objectIdentifier(OID.ecPublicKey), objectIdentifier(CURVE_OID[curve]));
  const point = Buffer.concat([Buffer.from([0x04]), b64url(jwk.x), b64url(jwk.y)]);
  const ecPrivateKey = sequence(
    smallInteger(1),
    octetString(b64url(jwk.d)),
    tlv(0xa1, bitString(point)),
  );
  return {
    spkiDer: sequence(algorithm, bitString(point)),
    pkcs8Der: sequence(smallInteger(0), algorithm, octetString(ecPrivateKey)),
  };
}

const b64url = (value: string): Buffer => Buffer.from(value, 'base64url');
