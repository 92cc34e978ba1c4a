import { describe, expect, it } from 'vitest';
import {
  DerError,
  DerReader,
  TAG,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallUnsigned,
  decodeString,
  unsignedBitLength,
} from './der-reader';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');

describe('DerReader', () => {
  it('walks a SEQUENCE and exposes contents and full encodings', () => {
    const buf = hex('3006 0201 05 0101 ff');
    const outer = new DerReader(buf);
    const seq = outer.read(TAG.sequence);
    const r = DerReader.of(buf, seq);
    expect(decodeSmallUnsigned(r.contents(r.read(TAG.integer)))).toBe(5);
    expect(r.readOptional(TAG.oid)).toBeUndefined();
    expect(decodeBoolean(r.contents(r.read(TAG.boolean)))).toBe(true);
    r.done('seq');
    expect(Buffer.from(outer.encoding(seq))).toEqual(buf);
  });

  it.each([
    ['wrong tag', '0400', /has tag 0x4, expected 0x30/],
    ['high tag number', '1f0100', /high tag number/],
    ['length past the end', '3005 0201', /truncated/],
    ['five length octets', '3085 0000000001 00', /too large/],
  ])('rejects %s', (_name, h, message) => {
    expect(() => new DerReader(hex(h)).read(TAG.sequence)).toThrow(message);
  });

  it('reports trailing elements', () => {
    const buf = hex('3006 0201 05 0201 06');
    const r = DerReader.of(buf, new DerReader(buf).read(TAG.sequence));
    r.read(TAG.integer);
    expect(() => r.done('pair')).toThrow(/pair has unexpected trailing elements/);
  });
});

describe('primitive decoders', () => {
  it.each([
    ['2a8648ce3d020 1', '1.2.840.10045.2.1'],
    ['551d', '2.5.29'],
    ['8837', '2.999'],
    ['2b0601050507030 1', '1.3.6.1.5.5.7.3.1'],
  ])('decodes OID %s → %s', (h, oid) => {
    expect(decodeOid(hex(h))).toBe(oid);
  });

  it.each([
    ['', /empty/],
    ['2a86', /truncated/],
    ['2a8001', /not minimally encoded/],
    ['2affffffffffffffff7f', /too large/],
  ])('rejects OID %j', (h, message) => {
    expect(() => decodeOid(hex(h))).toThrow(message);
  });

  it('BOOLEAN must be DER', () => {
    expect(decodeBoolean(hex('00'))).toBe(false);
    expect(() => decodeBoolean(hex('01'))).toThrow(DerError);
    expect(() => decodeBoolean(hex('ffff'))).toThrow(DerError);
  });

  it('small INTEGERs are minimal and non-negative', () => {
    expect(decodeSmallUnsigned(hex('0080'))).toBe(128);
    expect(() => decodeSmallUnsigned(hex('0001'))).toThrow(/not minimally/);
    expect(() => decodeSmallUnsigned(hex('80'))).toThrow(/negative/);
    expect(() => decodeSmallUnsigned(hex(''))).toThrow(/out of range/);
  });

  it('measures RSA modulus bits', () => {
    expect(unsignedBitLength(hex('00 80' + '00'.repeat(255)))).toBe(2048);
    expect(unsignedBitLength(hex('01'))).toBe(1);
    expect(unsignedBitLength(hex('0000'))).toBe(0);
  });

  it('BIT STRING padding bits must be zero', () => {
    expect(Buffer.from(decodeBitString(hex('05a0')))).toEqual(hex('a0'));
    expect(() => decodeBitString(hex('05a1'))).toThrow(/padding/);
    expect(() => decodeBitString(hex('08ff'))).toThrow(/malformed/);
    expect(() => decodeBitString(hex(''))).toThrow(/empty/);
  });

  it('decodes directory strings and hex-encodes the rest', () => {
    expect(decodeString(TAG.utf8String, Buffer.from('häj'))).toBe('häj');
    expect(decodeString(TAG.printableString, Buffer.from('Acme'))).toBe('Acme');
    expect(decodeString(TAG.bmpString, hex('00680069'))).toBe('hi');
    expect(decodeString(TAG.universalString, hex('00000068'))).toBe('h');
    expect(decodeString(TAG.octetString, hex('0102'))).toBe('#0102');
    expect(() => decodeString(TAG.utf8String, hex('ff'))).toThrow(/UTF-8/);
    expect(() => decodeString(TAG.ia5String, hex('e4'))).toThrow(/ASCII/);
    expect(() => decodeString(TAG.universalString, hex('00110000'))).toThrow(/malformed/);
  });
});
