/**
 * The two X.509 extension structures both the CSR inspector and the certificate reader decode;
 * one strict reading each, so a CSR and a certificate are held to the same DER rules.
 */
import { DerReader, TAG, decodeBoolean, decodeOid, type Tlv } from './der-reader';

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
