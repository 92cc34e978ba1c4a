import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles from 30 s to a 5 min cap and resets on success', () => {
    const backoff = new Backoff({ rand: () => 0.5 }); // 0.5 → no jitter
    const delays = Array.from({ length: 7 }, () => backoff.next());
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000]);
    expect(backoff.attempts).toBe(7);
    backoff.reset();
    expect([backoff.attempts, backoff.next()]).toEqual([0, 30_000]);
  });

  it('spreads each delay by ±jitter', () => {
    expect(new Backoff({ jitter: 0.2, rand: () => 0 }).next()).toBe(24_000);
    expect(new Backoff({ jitter: 0.2, rand: () => 1 }).next()).toBe(36_000);
  });

  it('rejects nonsensical settings', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
    expect(() => new Backoff({ jitter: 1 })).toThrow(RangeError);
  });
});
