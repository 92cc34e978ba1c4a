export interface RetryBackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

/** Exponential backoff with full jitter in [d/2, d], capped; reset() after a success. */
export class RetryBackoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(opts: RetryBackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 200;
    this.maxMs = opts.maxMs ?? 30_000;
  }

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return base / 2 + Math.random() * (base / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after ms, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const jitter = (ms: number, factor = 0.2): number =>
  ms * (1 + (Math.random() * 2 - 1) * factor);
