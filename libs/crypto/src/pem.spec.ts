import { describe, expect, it } from 'vitest';
import { derEnvelopeReason } from './der-reader';
import { PemError, decodePemBlocks, encodePem } from './pem';

describe('decodePemBlocks', () => {
  const block = encodePem('CERTIFICATE REQUEST', Buffer.from('3003020105', 'hex'));

  it('round-trips encodePem, tolerating CRLF and indentation', () => {
    const [decoded] = decodePemBlocks(block.replace(/\n/g, '\r\n').replace(/^/gm, '  '));
    expect(decoded.label).toBe('CERTIFICATE REQUEST');
    expect(decoded.der.toString('hex')).toBe('3003020105');
    expect(decoded.pem).toBe(block);
  });

  it('wraps base64 at 64 columns', () => {
    const pem = encodePem('X', Buffer.alloc(100));
    // 100 bytes → 136 base64 characters → lines of 64, 64 and 8.
    expect(
      pem
        .split('\n')
        .slice(1, 4)
        .map((l) => l.length),
    ).toEqual([64, 64, 8]);
  });

  it.each([
    ['invalid label', '-----BEGIN lower-----\nAA==\n-----END lower-----', /invalid label/],
    ['non-canonical base64', '-----BEGIN X-----\nAB==\n-----END X-----', /malformed base64/],
    ['padding in the middle', '-----BEGIN X-----\nAA==AAAA\n-----END X-----', /malformed base64/],
    [
      'nested BEGIN',
      '-----BEGIN X-----\n-----BEGIN X-----\nAA==\n-----END X-----',
      /not terminated/,
    ],
  ])('rejects %s', (_name, pem, message) => {
    expect(() => decodePemBlocks(pem)).toThrow(PemError);
    expect(() => decodePemBlocks(pem)).toThrow(message);
  });

  it('stays linear on many unterminated BEGIN lines', () => {
    const hostile = '-----BEGIN A-----\n'.repeat(20_000);
    expect(() => decodePemBlocks(hostile)).toThrow(/not terminated/);
  });
});

describe('derEnvelopeReason', () => {
  it.each([
    ['3000', null],
    ['3003020105', null],
    ['30', 'DER is truncated'],
    ['3081', 'DER is truncated'],
    ['3005020105', 'DER is truncated'],
    ['300302010500', 'DER has trailing data'],
    ['0403010203', 'DER does not start with a SEQUENCE'],
    ['3080020105', 'DER uses an indefinite length'],
    ['30810302010500', 'DER length is not minimally encoded'],
    ['3082000302010500', 'DER length is not minimally encoded'],
    ['3085ffffffffff', 'DER length is too large'],
  ])('%s → %s', (hex, reason) => {
    expect(derEnvelopeReason(Buffer.from(hex, 'hex'))).toBe(reason);
  });
});
