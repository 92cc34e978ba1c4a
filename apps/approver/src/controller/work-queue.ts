export interface WorkQueueOptions {
  concurrency: number;
  /** Retry delay after the n-th consecutive failure of a key (n ≥ 1). */
  retryDelayMs?: (failures: number) => number;
  /** Gives up on a key after this many consecutive failures (it is retried on its next event). */
  maxRetries?: number;
  onError?: (key: string, error: unknown, willRetry: boolean) => void;
}

const defaultRetryDelay = (failures: number) => Math.min(100 * 2 ** (failures - 1), 30_000);

/**
 * A keyed work queue in the spirit of client-go's: a key waits in the queue at most once, is
 * never processed by two workers at once, and a key added while it is being processed runs once
 * more afterwards (so no event is lost). At most `concurrency` keys run at a time.
 */
export class WorkQueue {
  private readonly queued: string[] = [];
  private readonly queuedSet = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly process: (key: string) => Promise<void>,
    private readonly options: WorkQueueOptions,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queuedSet.has(key)) return;
    this.queuedSet.add(key);
    this.queued.push(key);
    this.pump();
  }

  /** Keys waiting or running. */
  size(): number {
    return this.queuedSet.size + this.active.size;
  }

  /** Resolves when nothing is queued or running (pending retries do not count). */
  async idle(): Promise<void> {
    if (this.size() === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops queued keys and retries; running keys finish. */
  stop(): void {
    this.stopped = true;
    this.queued.length = 0;
    this.queuedSet.clear();
    this.dirty.clear();
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.notifyIfIdle();
  }

  private pump(): void {
    while (!this.stopped && this.active.size < this.options.concurrency && this.queued.length > 0) {
      const key = this.queued.shift() as string;
      this.queuedSet.delete(key);
      this.active.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.process(key);
      this.failures.delete(key);
    } catch (error) {
      this.scheduleRetry(key, error);
    } finally {
      this.active.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      this.notifyIfIdle();
    }
  }

  private scheduleRetry(key: string, error: unknown): void {
    const failures = (this.failures.get(key) ?? 0) + 1;
    const willRetry = !this.stopped && failures <= (this.options.maxRetries ?? 15);
    this.options.onError?.(key, error, willRetry);
    if (!willRetry) {
      this.failures.delete(key);
      return;
    }
    this.failures.set(key, failures);
    clearTimeout(this.retryTimers.get(key));
    const delay = (this.options.retryDelayMs ?? defaultRetryDelay)(failures);
    const timer = setTimeout(() => {
      this.retryTimers.delete(key);
      this.add(key);
    }, delay);
    timer.unref();
    this.retryTimers.set(key, timer);
  }

  private notifyIfIdle(): void {
    if (this.size() !== 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
