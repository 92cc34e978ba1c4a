/**
 * The two X.509 extension structures both the CSR inspector and the certificate reader decode;
 * one strict reading each, so a CSR and a certificate are held to the same DER rules.
 */
import { DerReader, TAG, decodeBitString, decodeBoolean, decodeOid, decodeSmallUnsigned, type Tlv } from './der-reader';
import { decodeSubjectAltNames, type SubjectAltName } from './names';
import { OID } from './oids';

export interface RawExtension {
  oid: string;
  critical: boolean;
  /** extnValue's contents: the extension's own DER. */
  value: Uint8Array;
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function readExtension(buf: Uint8Array, extension: Tlv): RawExtension {
  const ext = DerReader.of(buf, extension);
  const oid = decodeOid(ext.contents(ext.read(TAG.oid, 'extension OID')));
  const criticalTlv = ext.readOptional(TAG.boolean, `extension ${oid} critical flag`);
  const critical = criticalTlv ? decodeBoolean(ext.contents(criticalTlv)) : false;
  const value = ext.contents(ext.read(TAG.octetString, `extension ${oid} value`));
  ext.done(`extension ${oid}`);
  return { oid, critical, value };
}

/**
 * basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }.
 * The path length is returned as its INTEGER contents, for callers that need its value.
 */
export function readBasicConstraints(value: Uint8Array): { ca: boolean; pathLength?: Uint8Array } {
  const outer = new DerReader(value);
  const fields = DerReader.of(value, outer.read(TAG.sequence, 'basic constraints'));
  outer.done('basic constraints');
  const ca = fields.readOptional(TAG.boolean, 'basic constraints cA');
  const pathLength = fields.readOptional(TAG.integer, 'basic constraints pathLenConstraint');
  fields.done('basic constraints');
  const result: { ca: boolean; pathLength?: Uint8Array } = {
    ca: ca ? decodeBoolean(fields.contents(ca)) : false,
  };
  if (pathLength) result.pathLength = fields.contents(pathLength);
  return result;
}

/** RFC 5280 bit order (bit 0 = most significant bit of the first byte). */
const KEY_USAGE_NAMES = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** A single DER value filling all of `bytes` (an extension's OCTET STRING contents). */
function whole(bytes: Uint8Array, tag: number, what: string): { r: DerReader; tlv: Tlv } {
  const r = new DerReader(bytes);
  const tlv = r.read(tag, what);
  r.done(what);
  return { r, tlv };
}

/** keyUsage ::= BIT STRING; the names of the bits that are set. */
export function readKeyUsage(value: Uint8Array): string[] {
  const { r, tlv } = whole(value, TAG.bitString, 'key usage');
  const bits = decodeBitString(r.contents(tlv));
  return KEY_USAGE_NAMES.filter((_, bit) => ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
}

/** extKeyUsage ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId; the OIDs in order. */
export function readExtendedKeyUsage(value: Uint8Array): string[] {
  const { r, tlv } = whole(value, TAG.sequence, 'extended key usage');
  const oids = DerReader.of(r.buf, tlv);
  const usages: string[] = [];
  while (oids.hasMore()) usages.push(decodeOid(oids.contents(oids.read(TAG.oid, 'key purpose'))));
  return usages;
}

/** The extensions a CSR's request and a certificate both decode; every other one is only listed. */
export interface KnownExtensions {
  sans: SubjectAltName[];
  keyUsage?: { critical: boolean; usages: string[] };
  extendedKeyUsage?: string[];
  basicConstraints?: { critical: boolean; ca: boolean; pathLength?: number };
}

/** Decodes `value` into `into` when `oid` is one of the KnownExtensions. */
export function readKnownExtension(oid: string, critical: boolean, value: Uint8Array, into: KnownExtensions): void {
  switch (oid) {
    case OID.subjectAltName:
      into.sans = decodeSubjectAltNames(value);
      return;
    case OID.keyUsage:
      into.keyUsage = { critical, usages: readKeyUsage(value) };
      return;
    case OID.extKeyUsage:
      into.extendedKeyUsage = readExtendedKeyUsage(value);
      return;
    case OID.basicConstraints: {
      const { ca, pathLength } = readBasicConstraints(value);
      into.basicConstraints = { critical, ca };
      if (pathLength) into.basicConstraints.pathLength = decodeSmallUnsigned(pathLength);
    }
  }
}
