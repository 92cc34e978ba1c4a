/**
 * A strict, linear walk of an X.509 Certificate (RFC 5280 §4.1) with the DerReader: every field
 * is read in order with its exact tag, nothing is left over at any level, and only the parts the
 * driver reports are decoded. It replaces a schema-driven ASN.1 library that cost milliseconds per
 * chain and a long module load.
 */
import {
  DerError,
  DerReader,
  TAG,
  decodeBitString,
  decodeSmallUnsigned,
  type Tlv,
} from './der-reader';
import { readExtension, readKnownExtension, type KnownExtensions } from './extension-der';
import { readTime } from './der-time';
import { formatDistinguishedName } from './distinguished-name';
import { readAlgorithmIdentifier, type AlgorithmIdentifier } from './public-key';

export interface CertificateFields extends KnownExtensions {
  /** Version number as written in the certificate: 1, 2 or 3. */
  version: number;
  /** Lower-case hex of the INTEGER, without the sign-padding 00 (as @peculiar/x509 gave it). */
  serialNumber: string;
  issuer: string;
  subject: string;
  /** The issuer and subject Names' exact DER: Go's chain building matches a parent by these bytes. */
  issuerDer: Buffer;
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** A copy of the SubjectPublicKeyInfo encoding. */
  spkiDer: Buffer;
  isCA: boolean;
  /** The subject Name has no attributes (an SVID may leave it empty, then its SAN must be critical). */
  subjectEmpty: boolean;
  /** Every extension, in order, with its critical flag; the KnownExtensions are also decoded. */
  extensions: { oid: string; critical: boolean }[];
}

/** Context tags inside TBSCertificate. */
const TBS_TAG = {
  version: 0xa0,
  issuerUniqueId: 0x81,
  subjectUniqueId: 0x82,
  extensions: 0xa3,
} as const;

const V1 = 0;
const V3 = 2;

/** version [0] EXPLICIT INTEGER DEFAULT v1; only v1, v2 and v3 exist. */
function readVersion(tbs: DerReader): number {
  const explicit = tbs.readOptional(TBS_TAG.version, 'version');
  if (!explicit) return V1;
  const inner = DerReader.of(tbs.buf, explicit);
  const value = decodeSmallUnsigned(inner.contents(inner.read(TAG.integer, 'version')));
  inner.done('version');
  if (value > V3) throw new DerError('version is not v1, v2 or v3');
  return value;
}

/** CAs must use positive serials, but RFC 5280 asks users to tolerate others: only DER is required. */
function formatSerial(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('serial number is empty');
  if (
    bytes.length > 1 &&
    ((bytes[0] === 0x00 && bytes[1] < 0x80) || (bytes[0] === 0xff && bytes[1] >= 0x80))
  ) {
    throw new DerError('serial number is not minimally encoded');
  }
  const digits = bytes.length > 1 && bytes[0] === 0 ? bytes.subarray(1) : bytes;
  return Buffer.from(digits).toString('hex');
}

function sameAlgorithm(a: AlgorithmIdentifier, b: AlgorithmIdentifier): boolean {
  if (a.algorithm !== b.algorithm) return false;
  if (!a.parameters || !b.parameters) return a.parameters === b.parameters;
  return Buffer.from(a.parameters).equals(b.parameters);
}

function readValidity(tbs: DerReader): { notBefore: Date; notAfter: Date } {
  const validity = DerReader.of(tbs.buf, tbs.read(TAG.sequence, 'validity'));
  const notBefore = readTime(validity, 'notBefore');
  const notAfter = readTime(validity, 'notAfter');
  validity.done('validity');
  return { notBefore, notAfter };
}

/** issuerUniqueID / subjectUniqueID: [n] IMPLICIT BIT STRING, v2 and v3 only. Ignored otherwise. */
function skipUniqueId(tbs: DerReader, tag: number, what: string, version: number): void {
  const id = tbs.readOptional(tag, what);
  if (!id) return;
  if (version === V1) throw new DerError(`${what} is not allowed in a v1 certificate`);
  decodeBitString(tbs.contents(id));
}

/** extensions [3] EXPLICIT SEQUENCE SIZE (1..MAX) OF Extension; each extension at most once. */
function readExtensions(buf: Uint8Array, explicit: Tlv, fields: CertificateFields): void {
  const outer = DerReader.of(buf, explicit);
  const list = DerReader.of(buf, outer.read(TAG.sequence, 'extensions'));
  outer.done('extensions');
  if (!list.hasMore()) throw new DerError('extensions is empty');
  const seen = new Set<string>();
  while (list.hasMore()) {
    const { oid, critical, value } = readExtension(buf, list.read(TAG.sequence, 'extension'));
    if (seen.has(oid)) throw new DerError(`extension ${oid} appears more than once`);
    seen.add(oid);
    fields.extensions.push({ oid, critical });
    readKnownExtension(oid, critical, value, fields);
  }
  fields.isCA = fields.basicConstraints?.ca ?? false;
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE { version [0], serialNumber, signature, issuer, validity, subject,
 *   subjectPublicKeyInfo, issuerUniqueID [1], subjectUniqueID [2], extensions [3] }
 */
/** Decodes one DER certificate. Throws DerError naming the first field that is malformed. */
export function readCertificateDer(der: Uint8Array): CertificateFields {
  const top = new DerReader(der);
  const cert = DerReader.of(der, top.read(TAG.sequence, 'certificate'));
  top.done('certificate');
  const tbs = DerReader.of(der, cert.read(TAG.sequence, 'tbsCertificate'));
  const signatureAlgorithm = readAlgorithmIdentifier(cert, 'signature algorithm');
  decodeBitString(cert.contents(cert.read(TAG.bitString, 'signature value')));
  cert.done('certificate');

  const version = readVersion(tbs);
  const serialNumber = formatSerial(tbs.contents(tbs.read(TAG.integer, 'serial number')));
  if (!sameAlgorithm(readAlgorithmIdentifier(tbs, 'signature'), signatureAlgorithm)) {
    throw new DerError('inner and outer signature algorithms differ');
  }
  const issuerTlv = tbs.read(TAG.sequence, 'issuer');
  const issuer = formatDistinguishedName(der, issuerTlv, 'issuer');
  const { notBefore, notAfter } = readValidity(tbs);
  const subjectTlv = tbs.read(TAG.sequence, 'subject');
  const subject = formatDistinguishedName(der, subjectTlv, 'subject');
  const spki = tbs.read(TAG.sequence, 'subject public key info');
  const fields: CertificateFields = {
    version: version + 1,
    serialNumber,
    issuer,
    subject,
    issuerDer: Buffer.from(tbs.encoding(issuerTlv)),
    subjectDer: Buffer.from(tbs.encoding(subjectTlv)),
    notBefore,
    notAfter,
    spkiDer: Buffer.from(tbs.encoding(spki)),
    sans: [],
    isCA: false,
    subjectEmpty: subjectTlv.end === subjectTlv.start,
    extensions: [],
  };
  skipUniqueId(tbs, TBS_TAG.issuerUniqueId, 'issuerUniqueID', version);
  skipUniqueId(tbs, TBS_TAG.subjectUniqueId, 'subjectUniqueID', version);
  const extensions = tbs.readOptional(TBS_TAG.extensions, 'extensions');
  tbs.done('tbsCertificate');
  if (extensions) {
    if (version !== V3) throw new DerError('extensions are only allowed in a v3 certificate');
    readExtensions(der, extensions, fields);
  }
  return fields;
}
