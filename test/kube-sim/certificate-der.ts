/**
 * Encodes and signs an X.509 v3 certificate from DER pieces with node:crypto. The CA issuer
 * simulator signs on the measured publish path; an ASN.1 schema library plus WebCrypto cost
 * ~10 ms a certificate there, this a fraction of a millisecond.
 */
import { sign, type KeyObject } from 'node:crypto';
import { OID } from '@spiffe-csi/crypto';
import { bitString, booleanTrue, objectIdentifier, octetString, sequence, tlv } from '@spiffe-csi/crypto/der-writer';

const TAG_INTEGER = 0x02;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const VERSION = 0xa0; // [0] EXPLICIT Version
const EXTENSIONS = 0xa3; // [3] EXPLICIT Extensions
const KEY_IDENTIFIER = 0x80; // AuthorityKeyIdentifier's [0] IMPLICIT KeyIdentifier

/** The only scheme the simulator's CA signs with (its key is always P-256). */
const ECDSA_WITH_SHA256 = sequence(objectIdentifier(OID.ecdsaWithSha256));
const V3 = tlv(VERSION, tlv(TAG_INTEGER, Buffer.from([2])));

/** RFC 5280 bit numbers of the KeyUsage named bits, by the names usages.ts maps to. */
const KEY_USAGE_BIT: Readonly<Record<string, number>> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
};

export interface CertificateFields {
  /** Contents of the serialNumber INTEGER: positive and minimally encoded. */
  serial: Uint8Array;
  /** Issuer and subject Names, copied verbatim. */
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  /** Extension SEQUENCEs in order (see `extension`). */
  extensions: Uint8Array[];
}

export function extension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  return critical
    ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** basicConstraints value; cA is DEFAULT FALSE, so DER leaves it out for a leaf. */
export const basicConstraints = (isCA: boolean): Buffer => (isCA ? sequence(booleanTrue()) : sequence());

/** keyUsage value: a named-bit BIT STRING, trailing zero bits dropped as DER requires. */
export function keyUsage(names: Iterable<string>): Buffer | undefined {
  let bits = 0;
  for (const name of names) {
    const bit = KEY_USAGE_BIT[name];
    if (bit === undefined) throw new Error(`unknown key usage ${name}`);
    bits |= 1 << bit;
  }
  if (!bits) return undefined;
  const highest = 31 - Math.clz32(bits);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (let bit = 0; bit <= highest; bit++) if (bits & (1 << bit)) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return bitString(bytes, 7 - (highest & 7));
}

export const extendedKeyUsage = (oids: Iterable<string>): Buffer => sequence(...[...oids].map(objectIdentifier));

export const authorityKeyIdentifier = (keyId: Uint8Array): Buffer => sequence(tlv(KEY_IDENTIFIER, keyId));

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
function x509Time(date: Date): Buffer {
  const digits = date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:T]/g, '');
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`certificate time ${date.toISOString()} is out of range`);
  return year < 2050 ? tlv(TAG_UTC_TIME, Buffer.from(digits.slice(2), 'ascii')) : tlv(TAG_GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}

function tbsCertificate(f: CertificateFields): Buffer {
  return sequence(
    V3,
    tlv(TAG_INTEGER, f.serial),
    ECDSA_WITH_SHA256,
    f.issuer,
    sequence(x509Time(f.notBefore), x509Time(f.notAfter)),
    f.subject,
    f.spki,
    tlv(EXTENSIONS, sequence(...f.extensions)),
  );
}

/** The Certificate DER, signed ecdsa-with-SHA256 by `caKey` (a P-256 private KeyObject). */
export function signCertificate(f: CertificateFields, caKey: KeyObject): Buffer {
  const tbs = tbsCertificate(f);
  const signature = sign('sha256', tbs, { key: caKey, dsaEncoding: 'der' });
  return sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
}
