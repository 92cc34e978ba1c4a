import { describe, expect, it } from 'vitest';
import { DerReader, TAG } from './der-reader';
import { objectIdentifier, sequence, set, tlv } from './der-writer';
import { formatDistinguishedName } from './distinguished-name';

const CN = '2.5.4.3';
const atv = (oid: string, tag: number, value: Uint8Array | string) =>
  sequence(objectIdentifier(oid), tlv(tag, typeof value === 'string' ? Buffer.from(value) : value));
const cn = (value: string, tag: number = TAG.utf8String) => atv(CN, tag, value);
const name = (...rdns: Buffer[][]) => sequence(...rdns.map((atvs) => set(...atvs)));

function format(der: Buffer): string {
  return formatDistinguishedName(der, new DerReader(der).read(TAG.sequence), 'subject');
}

// Expected strings are what @peculiar/x509 2.2 printed for the same DER, so subjects and issuers
// read the same as before the switch (except where noted).
describe('formatDistinguishedName', () => {
  it.each([
    ['an empty name', name(), ''],
    [
      'RDNs in encoded order, multi-valued RDNs joined by +',
      name(
        [cn('x'), atv('2.5.4.10', TAG.printableString, 'y')],
        [atv('2.5.4.6', TAG.printableString, 'US')],
      ),
      'CN=x+O=y, C=US',
    ],
    [
      'RFC 4514 special characters',
      name([cn(' #a,b+c"d\\e<f>g;h ')]),
      'CN=\\ #a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\ ',
    ],
    ['a leading #', name([cn('#x')]), 'CN=\\#x'],
    ['= unescaped', name([cn('a=b')]), 'CN=a=b'],
    ['UTF-8', name([cn('Zoë ☃')]), 'CN=Zoë ☃'],
    ['a BMPString', name([atv(CN, TAG.bmpString, Buffer.from('00e90041', 'hex'))]), 'CN=éA'],
    [
      'a TeletexString as Latin-1',
      name([atv(CN, TAG.t61String, Buffer.from([0x61, 0xe9]))]),
      'CN=aé',
    ],
    ['an IA5String', name([atv('1.2.840.113549.1.9.1', TAG.ia5String, 'a@b')]), 'E=a@b'],
    ['an empty value', name([cn('')]), 'CN='],
    [
      'a NumericString as #hex of the element',
      name([cn('123', TAG.numericString)]),
      'CN=#1203313233',
    ],
    [
      'a VisibleString as #hex of the element',
      name([cn('abc', TAG.visibleString)]),
      'CN=#1a03616263',
    ],
    ['an OCTET STRING as #hex of the element', name([cn('ab', TAG.octetString)]), 'CN=#04026162'],
    [
      'an unknown attribute as its OID',
      name([atv('2.5.4.46', TAG.printableString, 'q')]),
      '2.5.4.46=q',
    ],
    // @peculiar/x509 printed "" for this UniversalString; the new decoder reads it.
    [
      'a UniversalString',
      name([atv(CN, TAG.universalString, Buffer.from('0001f600', 'hex'))]),
      'CN=😀',
    ],
    // @peculiar/x509 escaped only the first control character; every one is escaped now.
    ['control characters', name([cn('a\nb\nc\td\r')]), 'CN=a\\0Ab\\0Ac\\09d\\0D'],
  ])('formats %s', (_name, der, expected) => {
    expect(format(der)).toBe(expected);
  });

  it('uses the same short names as before for subject attributes', () => {
    const oids: [string, string][] = [
      ['2.5.4.3', 'CN'],
      ['2.5.4.4', 'SN'],
      ['2.5.4.5', '2.5.4.5'],
      ['2.5.4.6', 'C'],
      ['2.5.4.7', 'L'],
      ['2.5.4.8', 'ST'],
      ['2.5.4.9', '2.5.4.9'],
      ['2.5.4.10', 'O'],
      ['2.5.4.11', 'OU'],
      ['2.5.4.12', 'T'],
      ['2.5.4.42', 'G'],
      ['2.5.4.43', 'I'],
      ['0.9.2342.19200300.100.1.1', '0.9.2342.19200300.100.1.1'],
      ['0.9.2342.19200300.100.1.25', 'DC'],
      ['1.2.840.113549.1.9.1', 'E'],
    ];
    const der = name(...oids.map(([oid]) => [atv(oid, TAG.utf8String, 'v')]));
    expect(format(der)).toBe(oids.map(([, short]) => `${short}=v`).join(', '));
  });

  it.each([
    ['an empty RDN', name([]), /subject has an empty RDN/],
    [
      'an RDN that is not a SET',
      sequence(sequence(cn('x'))),
      /subject RDN has tag 0x30, expected 0x31/,
    ],
    [
      'an attribute that is not a SEQUENCE',
      sequence(set(set(objectIdentifier(CN)))),
      /subject attribute has tag 0x31/,
    ],
    [
      'an attribute without a type',
      name([sequence(tlv(TAG.utf8String, Buffer.from('x')))]),
      /subject attribute type has tag 0xc/,
    ],
    [
      'an attribute without a value',
      name([sequence(objectIdentifier(CN))]),
      /subject attribute value is truncated/,
    ],
    [
      'an attribute with two values',
      name([sequence(objectIdentifier(CN), tlv(0x0c), tlv(0x0c))]),
      /subject attribute has unexpected trailing elements/,
    ],
    [
      'invalid UTF-8',
      name([atv(CN, TAG.utf8String, Buffer.from([0x61, 0xff]))]),
      /subject CN value: UTF8String is not valid UTF-8/,
    ],
    [
      'a PrintableString that is not ASCII',
      name([atv('2.5.4.10', TAG.printableString, Buffer.from([0xe9]))]),
      /subject O value: string is not ASCII/,
    ],
    [
      'an odd-length BMPString',
      name([atv(CN, TAG.bmpString, Buffer.from([0, 0x41, 0]))]),
      /subject CN value: BMPString is malformed/,
    ],
  ])('rejects %s', (_name, der, message) => {
    expect(() => format(der)).toThrow(message);
  });
});
