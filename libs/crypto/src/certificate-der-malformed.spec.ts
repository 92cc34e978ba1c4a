import { describe, expect, it } from 'vitest';
import { CertificateParseError, parseCertificateChain } from './certificates';
import { TAG } from './der-reader';
import {
  booleanTrue,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  tlv,
} from './der-writer';
import { OID } from './oids';
import {
  EXTENSIONS,
  basicConstraints,
  certificate,
  certificatePem,
  extension,
  extensions,
  generalized,
  hex,
  san,
  spki,
  uri,
  utc,
  version,
  withTbs,
} from './testing/certificate-builder';

// Each malformed field must end in a CertificateParseError that names the certificate and says
// what is wrong with which field.
describe('parseCertificateChain on malformed DER', () => {
  const good = certificate();
  const sanWith = (...names: Buffer[]) => withTbs(EXTENSIONS, extensions(san(...names)));
  it.each([
    ['truncated', good.subarray(0, good.length - 5), /certificate 0: DER is truncated/],
    [
      'trailing data after the certificate',
      Buffer.concat([good, hex('0500')]),
      /certificate 0: DER has trailing data/,
    ],
    ['an indefinite length', Buffer.concat([hex('3080'), good.subarray(2)]), /indefinite length/],
    [
      'a trailing element in Certificate',
      certificate((p) => p.trailer.push(hex('0500'))),
      /certificate has unexpected trailing elements/,
    ],
    [
      'a signature that is not a BIT STRING',
      certificate((p) => (p.signature = octetString(hex('00')))),
      /signature value has tag 0x4, expected 0x3/,
    ],
    [
      'a trailing element in TBSCertificate',
      certificate((p) => p.tbs.push(hex('0500'))),
      /tbsCertificate has unexpected trailing elements/,
    ],
    ['version 4', withTbs(0, version(3)), /version is not v1, v2 or v3/],
    [
      'a negative version',
      withTbs(0, tlv(0xa0, tlv(TAG.integer, hex('ff')))),
      /INTEGER is negative/,
    ],
    [
      'a version that is not an INTEGER',
      withTbs(0, tlv(0xa0, octetString(hex('02')))),
      /version has tag 0x4/,
    ],
    [
      'a serial that is not an INTEGER',
      withTbs(1, octetString(hex('01'))),
      /serial number has tag 0x4, expected 0x2/,
    ],
    ['an empty serial', withTbs(1, tlv(TAG.integer)), /serial number is empty/],
    [
      'a serial with a redundant 00',
      withTbs(1, tlv(TAG.integer, hex('0001'))),
      /serial number is not minimally encoded/,
    ],
    [
      'a serial with a redundant ff',
      withTbs(1, tlv(TAG.integer, hex('ff80'))),
      /serial number is not minimally encoded/,
    ],
    [
      'different inner and outer signature algorithms',
      withTbs(2, sequence(objectIdentifier(OID.ecdsaWithSha384))),
      /inner and outer signature algorithms differ/,
    ],
    [
      'inner signature algorithm parameters the outer one lacks',
      withTbs(2, sequence(objectIdentifier(OID.ecdsaWithSha256), hex('0500'))),
      /signature algorithms differ/,
    ],
    ['an issuer that is not a Name', withTbs(3, set()), /issuer has tag 0x31, expected 0x30/],
    ['an issuer with an empty RDN', withTbs(3, sequence(set())), /issuer has an empty RDN/],
    [
      'a subject that is not valid UTF-8',
      withTbs(
        5,
        sequence(set(sequence(objectIdentifier('2.5.4.3'), tlv(TAG.utf8String, hex('c3'))))),
      ),
      /subject CN value: UTF8String is not valid UTF-8/,
    ],
    [
      'validity that is not a SEQUENCE',
      withTbs(4, utc('260101000000Z')),
      /validity has tag 0x17, expected 0x30/,
    ],
    [
      'a third validity time',
      withTbs(4, sequence(utc('260101000000Z'), utc('270101000000Z'), utc('280101000000Z'))),
      /validity has unexpected trailing elements/,
    ],
    ['a missing notAfter', withTbs(4, sequence(utc('260101000000Z'))), /notAfter is truncated/],
    [
      'a notBefore with fractional seconds',
      withTbs(4, sequence(generalized('20260101000000.5Z'), utc('270101000000Z'))),
      /notBefore is not a GeneralizedTime of the form YYYYMMDDHHMMSSZ/,
    ],
    [
      'a notAfter on 30 February',
      withTbs(4, sequence(utc('260101000000Z'), utc('270230000000Z'))),
      /notAfter is not a valid date and time/,
    ],
    [
      'a notAfter of another type',
      withTbs(4, sequence(utc('260101000000Z'), octetString(Buffer.from('270101000000Z')))),
      /notAfter has tag 0x4, expected UTCTime or GeneralizedTime/,
    ],
    [
      'an SPKI that is not a SEQUENCE',
      withTbs(6, octetString(spki)),
      /subject public key info has tag 0x4, expected 0x30/,
    ],
    [
      'an SPKI without key bits',
      withTbs(6, sequence(sequence(objectIdentifier(OID.ecPublicKey)))),
      /public key bits is truncated/,
    ],
    [
      'a unique ID in a v1 certificate',
      certificate((p) => p.tbs.splice(EXTENSIONS, 1, hex('8101 00')) && p.tbs.shift()),
      /issuerUniqueID is not allowed in a v1 certificate/,
    ],
    ['a malformed unique ID', withTbs(EXTENSIONS, hex('8201 08')), /BIT STRING is malformed/],
    [
      'unique IDs out of order',
      withTbs(EXTENSIONS, hex('8201 00'), hex('8101 00')),
      /tbsCertificate has unexpected trailing elements/,
    ],
    [
      'extensions in a v2 certificate',
      withTbs(0, version(1)),
      /extensions are only allowed in a v3 certificate/,
    ],
    [
      'extensions in a v1 certificate',
      certificate((p) => p.tbs.shift()),
      /extensions are only allowed in a v3 certificate/,
    ],
    ['an empty extensions list', withTbs(EXTENSIONS, extensions()), /extensions is empty/],
    [
      'extensions that are not a SEQUENCE',
      withTbs(EXTENSIONS, tlv(0xa3, set())),
      /extensions has tag 0x31, expected 0x30/,
    ],
    [
      'a repeated extension',
      withTbs(EXTENSIONS, extensions(san(uri('spiffe://td/a')), san(uri('spiffe://td/b')))),
      /extension 2\.5\.29\.17 appears more than once/,
    ],
    [
      'a critical flag that is not DER',
      withTbs(EXTENSIONS, extensions(extension(OID.keyUsage, hex('030105'), hex('010101')))),
      /BOOLEAN is not DER/,
    ],
    [
      'an extension value that is not an OCTET STRING',
      withTbs(EXTENSIONS, extensions(sequence(objectIdentifier(OID.keyUsage), hex('030105')))),
      /extension 2\.5\.29\.15 value has tag 0x3, expected 0x4/,
    ],
    [
      'a SAN that is not a SEQUENCE',
      withTbs(EXTENSIONS, extensions(extension(OID.subjectAltName, set(uri('spiffe://td/a'))))),
      /SAN extension has tag 0x31, expected 0x30/,
    ],
    [
      'a SAN with trailing bytes',
      withTbs(
        7,
        extensions(extension(OID.subjectAltName, Buffer.concat([sequence(uri('x')), hex('00')]))),
      ),
      /SAN extension has unexpected trailing elements/,
    ],
    ['a SAN URI that is not IA5', sanWith(uri(hex('e9'))), /SAN URI is not an IA5String/],
    [
      'a SAN IP address of 5 bytes',
      sanWith(tlv(0x87, hex('0a00000001'))),
      /SAN IP address has an invalid length 5/,
    ],
    [
      'a SAN entry of unknown form',
      sanWith(tlv(0x89, hex('00'))),
      /SAN contains an unknown name form/,
    ],
    [
      'a truncated SAN entry',
      withTbs(EXTENSIONS, extensions(extension(OID.subjectAltName, hex('3003 8605 61')))),
      /SAN entry is truncated/,
    ],
    [
      'basicConstraints with a trailing field',
      withTbs(
        EXTENSIONS,
        extensions(basicConstraints(booleanTrue(), smallInteger(1), hex('0500'))),
      ),
      /basic constraints has unexpected trailing elements/,
    ],
    [
      'basicConstraints with fields out of order',
      withTbs(EXTENSIONS, extensions(basicConstraints(smallInteger(1), booleanTrue()))),
      /basic constraints has unexpected trailing elements/,
    ],
  ])('rejects %s', (_name, der, message) => {
    let thrown: unknown;
    try {
      parseCertificateChain(certificatePem(der));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CertificateParseError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).toMatch(/^certificate 0/);
  });
});
