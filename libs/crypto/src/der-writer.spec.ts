import { describe, expect, it } from 'vitest';
import { DerReader, TAG, decodeBitString } from './der-reader';
import { bitString } from './der-writer';

describe('bitString', () => {
  it('encodes whole bytes with no unused bits by default', () => {
    expect(bitString(Buffer.from([0xde, 0xad])).toString('hex')).toBe('030300dead');
  });

  it('records padding bits for a named-bit list (keyUsage digitalSignature + keyEncipherment)', () => {
    const der = bitString(Buffer.from([0xa0]), 5);
    expect(der.toString('hex')).toBe('030205a0');
    const r = new DerReader(der);
    expect(Buffer.from(decodeBitString(r.contents(r.read(TAG.bitString)))).toString('hex')).toBe(
      'a0',
    );
  });
});
