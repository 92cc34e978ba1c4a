import { sign } from 'node:crypto';
import { SpiffeId } from '@spiffe-csi/spiffe';
import {
  bitString, booleanTrue, objectIdentifier, octetString, sequence, set, smallInteger, tlv,
} from './der-writer';
import type { GeneratedKey, KeyAlgorithm } from './keys';
import { OID } from './oids';
import { encodePem } from './pem';

const SIGNATURE: Record<KeyAlgorithm, { oid: string; hash: string }> = {
  'ecdsa-p256': { oid: OID.ecdsaWithSha256, hash: 'sha256' },
  'ecdsa-p384': { oid: OID.ecdsaWithSha384, hash: 'sha384' },
  'ecdsa-p521': { oid: OID.ecdsaWithSha512, hash: 'sha512' },
};

const URI_GENERAL_NAME = 0x86; // [6] IMPLICIT IA5String
const ATTRIBUTES = 0xa0; // [0] IMPLICIT SET OF Attribute

/** The extensionRequest attribute holding one critical SAN extension with one URI. */
function uriSanExtensionRequest(uri: string): Buffer {
  const generalNames = sequence(tlv(URI_GENERAL_NAME, Buffer.from(uri, 'ascii')));
  const extension = sequence(objectIdentifier(OID.subjectAltName), booleanTrue(), octetString(generalNames));
  return sequence(objectIdentifier(OID.extensionRequest), set(sequence(extension)));
}

/**
 * A CSR for one SPIFFE ID, shaped like the Go driver's: empty subject, a single URI SAN in a
 * critical extension (RFC 5280 §4.2.1.6 requires critical when the subject is empty), no other
 * extensions, ECDSA with the hash matched to the curve. Throws SpiffeIdError for an invalid ID.
 * Encoded by hand and signed by OpenSSL directly: the structure is fixed, and a generic ASN.1
 * library plus WebCrypto key imports cost four times the signature itself on the publish path.
 */
export async function createSpiffeCsr(key: GeneratedKey, uri: string): Promise<string> {
  const id = SpiffeId.parse(uri).toString(); // a valid SPIFFE ID is ASCII, at most 2048 bytes
  const info = sequence(
    smallInteger(0),
    sequence(), // empty subject
    key.spkiDer,
    tlv(ATTRIBUTES, uriSanExtensionRequest(id)),
  );
  const { oid, hash } = SIGNATURE[key.algorithm];
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign(hash, info, key.privateKey, (err, sig) => (err ? reject(err) : resolve(sig))));
  return encodePem('CERTIFICATE REQUEST', sequence(info, sequence(objectIdentifier(oid)), bitString(signature)));
}
