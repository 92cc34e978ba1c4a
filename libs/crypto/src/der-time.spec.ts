import { describe, expect, it } from 'vitest';
import { DerReader } from './der-reader';
import { TIME_TAG, readTime } from './der-time';
import { tlv } from './der-writer';

const read = (tag: number, text: string): Date =>
  readTime(new DerReader(tlv(tag, Buffer.from(text, 'latin1'))), 'notBefore');
const { utcTime: UTC, generalizedTime: GEN } = TIME_TAG;

describe('readTime', () => {
  it.each([
    ['UTCTime, YY < 50 is 20YY', UTC, '491231235959Z', '2049-12-31T23:59:59.000Z'],
    ['UTCTime, YY ≥ 50 is 19YY', UTC, '500101000000Z', '1950-01-01T00:00:00.000Z'],
    ['UTCTime, leap day', UTC, '240229120000Z', '2024-02-29T12:00:00.000Z'],
    ['GeneralizedTime from 2050', GEN, '20500101000000Z', '2050-01-01T00:00:00.000Z'],
    ['GeneralizedTime, leap day of a 400-year', GEN, '20000229000000Z', '2000-02-29T00:00:00.000Z'],
    [
      'GeneralizedTime before 2050 (CAs should not, users must accept)',
      GEN,
      '20301130235959Z',
      '2030-11-30T23:59:59.000Z',
    ],
    ['GeneralizedTime year 0001 (not 1901)', GEN, '00010101000000Z', '0001-01-01T00:00:00.000Z'],
    [
      'GeneralizedTime 9999-12-31 (no well-defined expiry)',
      GEN,
      '99991231235959Z',
      '9999-12-31T23:59:59.000Z',
    ],
  ])('reads %s', (_name, tag, text, iso) => {
    expect(read(tag, text).toISOString()).toBe(iso);
  });

  it.each([
    ['UTCTime without seconds', UTC, '2411270123Z', /not a UTCTime of the form YYMMDDHHMMSSZ/],
    ['UTCTime with an offset', UTC, '241127012300+0100', /not a UTCTime/],
    ['UTCTime without Z', UTC, '241127012300', /not a UTCTime/],
    ['UTCTime with four-digit year', UTC, '20241127012300Z', /not a UTCTime/],
    ['UTCTime with a non-digit', UTC, '2411270123a0Z', /not a UTCTime/],
    ['UTCTime with a superscript digit', UTC, '24112701230\u00b2Z', /not a UTCTime/],
    [
      'GeneralizedTime with fractional seconds',
      GEN,
      '20501127012300.5Z',
      /not a GeneralizedTime of the form YYYYMMDDHHMMSSZ/,
    ],
    ['GeneralizedTime in local time', GEN, '20501127012300', /not a GeneralizedTime/],
    ['GeneralizedTime with two-digit year', GEN, '501127012300Z', /not a GeneralizedTime/],
    ['month 13', UTC, '241327012300Z', /not a valid date and time/],
    ['month 0', GEN, '20500001000000Z', /not a valid date and time/],
    ['day 0', UTC, '241100012300Z', /not a valid date and time/],
    ['31 April', UTC, '240431000000Z', /not a valid date and time/],
    ['29 February in a common year', UTC, '250229000000Z', /not a valid date and time/],
    ['29 February 2100 (not a leap year)', GEN, '21000229000000Z', /not a valid date and time/],
    ['hour 24', UTC, '241127240000Z', /not a valid date and time/],
    ['minute 60', UTC, '241127236000Z', /not a valid date and time/],
    ['a leap second', UTC, '241231235960Z', /not a valid date and time/],
    ['another type', 0x04, '241127012300Z', /has tag 0x4, expected UTCTime or GeneralizedTime/],
  ])('rejects %s', (_name, tag, text, message) => {
    expect(() => read(tag, text)).toThrow(message);
  });

  it('names the field in its errors', () => {
    expect(() => read(UTC, 'x')).toThrow(/^notBefore /);
  });
});
