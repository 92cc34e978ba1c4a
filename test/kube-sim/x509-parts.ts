/**
 * Raw DER pieces the CA issuer copies verbatim into a certificate. inspectCsr (which also checks
 * the CSR) reports decoded values only, so these re-walk the already validated structure with
 * the product's DerReader and hand back byte ranges of the input.
 */
import { OID } from '@spiffe-csi/crypto';
import { DerReader, TAG, decodeBoolean, decodeOid } from '@spiffe-csi/crypto/der-reader';

export interface RawExtension {
  critical: boolean;
  /** extnValue's contents: the extension's own DER. */
  value: Uint8Array;
}

export interface CsrParts {
  /** The subject Name, tag and length included. */
  subject: Uint8Array;
  /** The SubjectPublicKeyInfo, tag and length included. */
  spki: Uint8Array;
  san?: RawExtension;
}

const ATTRIBUTES = 0xa0; // [0] IMPLICIT SET OF Attribute

/** The single SEQUENCE that fills `der`, as a reader over its contents. */
function open(der: Uint8Array, what: string): DerReader {
  const outer = new DerReader(der);
  const inner = DerReader.of(der, outer.read(TAG.sequence, what));
  outer.done(what);
  return inner;
}

/** The SAN extension among the extensionRequest attributes, if requested. */
function findSan(der: Uint8Array, attributes: DerReader): RawExtension | undefined {
  while (attributes.hasMore()) {
    const attribute = DerReader.of(der, attributes.read(TAG.sequence, 'attribute'));
    const type = decodeOid(attribute.contents(attribute.read(TAG.oid, 'attribute type')));
    if (type !== OID.extensionRequest) continue;
    const values = DerReader.of(der, attribute.read(TAG.set, 'attribute values'));
    while (values.hasMore()) {
      const extensions = DerReader.of(der, values.read(TAG.sequence, 'extension request'));
      while (extensions.hasMore()) {
        const ext = DerReader.of(der, extensions.read(TAG.sequence, 'extension'));
        if (decodeOid(ext.contents(ext.read(TAG.oid, 'extension OID'))) !== OID.subjectAltName) continue;
        const critical = ext.readOptional(TAG.boolean, 'extension critical flag');
        return {
          critical: critical ? decodeBoolean(ext.contents(critical)) : false,
          value: ext.contents(ext.read(TAG.octetString, 'extension value')),
        };
      }
    }
  }
  return undefined;
}

/** CertificationRequestInfo ::= SEQUENCE { version, subject Name, subjectPKInfo, [0] attributes } */
export function csrParts(der: Uint8Array): CsrParts {
  const info = DerReader.of(der, open(der, 'CSR').read(TAG.sequence, 'certificationRequestInfo'));
  info.read(TAG.integer, 'version');
  const subject = info.encoding(info.read(TAG.sequence, 'subject'));
  const spki = info.encoding(info.read(TAG.sequence, 'subject public key info'));
  const attributes = info.readOptional(ATTRIBUTES, 'attributes');
  const san = attributes ? findSan(der, DerReader.of(der, attributes)) : undefined;
  return san ? { subject, spki, san } : { subject, spki };
}

/** TBSCertificate ::= SEQUENCE { [0] version, serial, signature, issuer, validity, subject, ... } */
export function certificateSubject(der: Uint8Array): Uint8Array {
  const tbs = DerReader.of(der, open(der, 'certificate').read(TAG.sequence, 'tbsCertificate'));
  tbs.readOptional(0xa0, 'version');
  tbs.read(TAG.integer, 'serial number');
  tbs.read(TAG.sequence, 'signature algorithm');
  tbs.read(TAG.sequence, 'issuer');
  tbs.read(TAG.sequence, 'validity');
  return tbs.encoding(tbs.read(TAG.sequence, 'subject'));
}
