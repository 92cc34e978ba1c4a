import { DerError, type DerReader } from './der-reader';

export const TIME_TAG = { utcTime: 0x17, generalizedTime: 0x18 } as const;

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function toDate(what: string, fields: number[]): Date {
  const [year, month, day, hour, minute, second] = fields;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new DerError(`${what} is not a valid date and time`);
  }
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear keeps GeneralizedTime's 0001–0099.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date;
}

/**
 * Reads a Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ, where YY ≥ 50 is 19YY and YY < 50 is
 * 20YY, or GeneralizedTime YYYYMMDDHHMMSSZ. Both must be Zulu with seconds and no fraction.
 * Either form is accepted for any year: the "through 2049 as UTCTime" rule binds CAs, and
 * relying parties must process both.
 */
export function readTime(r: DerReader, what: string): Date {
  const tlv = r.read(undefined, what);
  const text = Buffer.from(r.contents(tlv)).toString('latin1');
  if (tlv.tag === TIME_TAG.utcTime) {
    const m = UTC_TIME.exec(text);
    if (!m) throw new DerError(`${what} is not a UTCTime of the form YYMMDDHHMMSSZ`);
    const fields = m.slice(1).map(Number);
    fields[0] += fields[0] >= 50 ? 1900 : 2000;
    return toDate(what, fields);
  }
  if (tlv.tag === TIME_TAG.generalizedTime) {
    const m = GENERALIZED_TIME.exec(text);
    if (!m) throw new DerError(`${what} is not a GeneralizedTime of the form YYYYMMDDHHMMSSZ`);
    return toDate(what, m.slice(1).map(Number));
  }
  throw new DerError(
    `${what} has tag 0x${tlv.tag.toString(16)}, expected UTCTime or GeneralizedTime`,
  );
}
