import { clampUnit } from './renewal-time';

export interface BackoffOptions {
  initialMs?: number;
  factor?: number;
  maxMs?: number;
  /** Each delay is spread by ±jitter (0.2 → 80 %..120 %) so failed volumes do not retry in lockstep. */
  jitter?: number;
  rand?: () => number;
}

/** Exponential retry delay: 30 s, 60 s, 120 s, 240 s, then 5 min (each ±jitter); reset on success. */
export class Backoff {
  private readonly initialMs: number;
  private readonly factor: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly rand: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.maxMs = options.maxMs ?? 5 * 60_000;
    this.jitter = options.jitter ?? 0.2;
    this.rand = options.rand ?? Math.random;
    if (!(this.initialMs > 0 && this.factor >= 1 && this.maxMs >= this.initialMs)) {
      throw new RangeError('backoff needs initialMs > 0, factor >= 1 and maxMs >= initialMs');
    }
    if (!(this.jitter >= 0 && this.jitter < 1)) throw new RangeError('backoff jitter must be in [0, 1)');
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    const base = Math.min(this.initialMs * this.factor ** this.failures, this.maxMs);
    this.failures++;
    const spread = 1 + this.jitter * (2 * clampUnit(this.rand()) - 1);
    return Math.round(base * spread);
  }

  reset(): void {
    this.failures = 0;
  }
}
