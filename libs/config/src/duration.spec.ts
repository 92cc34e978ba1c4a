import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from './duration';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['1h', 3_600_000],
    ['60m', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['2m3.5s', 123_500],
    ['500ms', 500],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['1000000ns', 1],
    ['.5s', 500],
    ['1.s', 1000],
    ['+5s', 5000],
    ['-5s', -5000],
    ['1h1m1s1ms', 3_661_001],
    ['0.000000001s', 0.000001],
  ])('%s → %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it('treats 60m and 1h as the same duration', () => {
    expect(parseGoDuration('60m')).toBe(parseGoDuration('1h'));
  });

  it.each([
    ['', /empty/],
    ['1', /unit/],
    ['10', /unit/],
    ['h', /unit/],
    ['.s', /missing number/],
    ['1d', /unknown unit "d"/],
    ['1H', /unknown unit "H"/],
    ['1 h', /unit/],
    ['1h ', /unit/],
    ['1..5s', /unit/],
    ['abc', /unit/],
    ['-', /empty/],
    ['3000000h', /out of range/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseGoDuration(text)).toThrow(reason);
  });
});

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
    [90_000, '1m30s'],
    [60_000, '1m0s'],
    [1500, '1.5s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0.0015, '1.5µs'],
    [0.000001, '1ns'],
    [-5000, '-5s'],
    [3_723_004, '1h2m3.004s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('round-trips through parseGoDuration', () => {
    for (const ms of [1, 999, 1000, 61_000, 86_400_000, 123_456_789]) {
      expect(parseGoDuration(formatGoDuration(ms))).toBe(ms);
    }
  });

  it('refuses non-finite numbers', () => {
    expect(() => formatGoDuration(Number.NaN)).toThrow(/cannot format/);
  });
});
