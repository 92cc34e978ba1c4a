import { describe, expect, it } from 'vitest';
import { nextRenewalTime } from './renewal-time';

const HOUR = 3_600_000;
const nb = Date.UTC(2030, 0, 1);

describe('nextRenewalTime', () => {
  it('renews at 2/3 of the lifetime without jitter (rand = 0)', () => {
    expect(nextRenewalTime(new Date(nb), new Date(nb + 3 * HOUR), 0.05, () => 0)).toBe(nb + 2 * HOUR);
  });

  it('pulls the time earlier by at most jitterFraction of the lifetime', () => {
    expect(nextRenewalTime(nb, nb + HOUR, 0.05, () => 1)).toBe(nb + (2 * HOUR) / 3 - 0.05 * HOUR);
    expect(nextRenewalTime(nb, nb + HOUR, 0.05, () => 0.5)).toBe(nb + (2 * HOUR) / 3 - 0.025 * HOUR);
  });

  it('caps the jitter for long-lived certificates', () => {
    const ninetyDays = 90 * 24 * HOUR;
    expect(nextRenewalTime(nb, nb + ninetyDays, 0.05, () => 1, 10 * 60_000)).toBe(nb + (2 * ninetyDays) / 3 - 10 * 60_000);
  });

  it('tolerates a broken random source and rejects impossible validity windows', () => {
    expect(nextRenewalTime(nb, nb + 3 * HOUR, 0.05, () => Number.NaN)).toBe(nb + 2 * HOUR);
    expect(() => nextRenewalTime(nb, nb, 0.05)).toThrow(/NotAfter is not after NotBefore/);
    expect(() => nextRenewalTime(new Date('x'), nb)).toThrow(/not valid dates/);
    expect(() => nextRenewalTime(nb, nb + HOUR, 0.5)).toThrow(/jitterFraction/);
  });
});
