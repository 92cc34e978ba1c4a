const DEFAULT_JITTER_FRACTION = 0.05;
const DEFAULT_MAX_JITTER_MS = 10 * 60_000;

/**
 * When to renew an SVID: at 2/3 of its lifetime (NotAfter − lifetime/3, as csi-lib does), pulled
 * earlier by a random jitter of up to `jitterFraction` of the lifetime (capped at `maxJitterMs`),
 * so pods started together do not all hit the issuer in the same second for ever after.
 * Returns epoch milliseconds.
 */
export function nextRenewalTime(
  notBefore: Date | number,
  notAfter: Date | number,
  jitterFraction: number = DEFAULT_JITTER_FRACTION,
  rand: () => number = Math.random,
  maxJitterMs: number = DEFAULT_MAX_JITTER_MS,
): number {
  const start = +notBefore;
  const end = +notAfter;
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError('certificate validity dates are not valid dates');
  const lifetime = end - start;
  if (lifetime <= 0) throw new RangeError('certificate NotAfter is not after NotBefore');
  if (!(jitterFraction >= 0 && jitterFraction < 1 / 3)) throw new RangeError('jitterFraction must be in [0, 1/3)');
  const jitter = Math.min(lifetime * jitterFraction, Math.max(maxJitterMs, 0)) * clampUnit(rand());
  return Math.round(end - lifetime / 3 - jitter);
}

export function clampUnit(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}
