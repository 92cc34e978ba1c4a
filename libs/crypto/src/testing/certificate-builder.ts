/** Builds synthetic DER certificates, field by field, for the certificate parser's tests. */
import { generateKeyPairSync } from 'node:crypto';
import { TAG } from '../der-reader';
import { TIME_TAG } from '../der-time';
import {
  bitString,
  booleanTrue,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  tlv,
} from '../der-writer';
import { OID } from '../oids';
import { encodePem } from '../pem';

export const hex = (h: string): Buffer => Buffer.from(h.replace(/\s/g, ''), 'hex');
export const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'der',
});
const ecdsaSha256 = sequence(objectIdentifier(OID.ecdsaWithSha256));
export const utc = (text: string): Buffer => tlv(TIME_TAG.utcTime, Buffer.from(text));
export const generalized = (text: string): Buffer =>
  tlv(TIME_TAG.generalizedTime, Buffer.from(text));
const cnName = (cn: string): Buffer =>
  sequence(set(sequence(objectIdentifier('2.5.4.3'), tlv(TAG.utf8String, Buffer.from(cn)))));
export const extension = (oid: string, value: Buffer, critical?: Buffer): Buffer =>
  sequence(objectIdentifier(oid), ...(critical ? [critical] : []), octetString(value));
export const san = (...names: Buffer[]): Buffer =>
  extension(OID.subjectAltName, sequence(...names));
export const uri = (value: string | Buffer): Buffer => tlv(0x86, Buffer.from(value));
export const basicConstraints = (...fields: Buffer[]): Buffer =>
  extension(OID.basicConstraints, sequence(...fields), booleanTrue());
export const extensions = (...list: Buffer[]): Buffer => tlv(0xa3, sequence(...list));
/** The explicit [0] version field: 0 is v1, 2 is v3. */
export const version = (n: number): Buffer => tlv(0xa0, smallInteger(n));

function sequenceHeader(length: number): Buffer {
  if (length < 0x80) return Buffer.from([TAG.sequence, length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Buffer.from([TAG.sequence, 0x80 | octets.length, ...octets]);
}

/** `depth` SEQUENCEs around `inner`, built in linear time. */
export function nest(inner: Buffer, depth: number): Buffer {
  const headers: Buffer[] = [];
  let length = inner.length;
  for (let i = 0; i < depth; i++) {
    headers.push(sequenceHeader(length));
    length += headers[i].length;
  }
  return Buffer.concat([...headers.reverse(), inner]);
}

export interface CertificateParts {
  /** version, serial, signature, issuer, validity, subject, SPKI, extensions. */
  tbs: Buffer[];
  signatureAlgorithm: Buffer;
  signature: Buffer;
  trailer: Buffer[];
}

/** TBSCertificate index of the extensions in the default parts. */
export const EXTENSIONS = 7;

/** A v3 certificate with a URI SAN, from parts `edit` may replace. Not validly signed. */
export function certificate(edit: (p: CertificateParts) => void = () => {}): Buffer {
  const p: CertificateParts = {
    tbs: [
      version(2),
      tlv(TAG.integer, hex('00 8b ad f0 0d')),
      ecdsaSha256,
      cnName('Test CA'),
      sequence(utc('260101000000Z'), generalized('20510101000000Z')),
      cnName('leaf'),
      spki,
      extensions(san(uri('spiffe://td/a')), basicConstraints()),
    ],
    signatureAlgorithm: ecdsaSha256,
    signature: bitString(hex('3006 020101 020101')),
    trailer: [],
  };
  edit(p);
  return sequence(sequence(...p.tbs), p.signatureAlgorithm, p.signature, ...p.trailer);
}

/** The default certificate with TBSCertificate element `index` replaced by `replacement`. */
export const withTbs = (index: number, ...replacement: Buffer[]): Buffer =>
  certificate((p) => p.tbs.splice(index, 1, ...replacement));

export const certificatePem = (der: Buffer): string => encodePem('CERTIFICATE', der);
