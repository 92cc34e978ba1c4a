import { HeapItem, IndexedMinHeap } from './min-heap';

/** One timer for every volume: renewals and retries are entries in a heap, not timers each. */
export interface Scheduler {
  /** Runs `run` at epoch-ms `at`; replaces any pending entry for `key`. */
  schedule(key: string, at: number, run: () => Promise<void> | void): void;
  /** Drops the pending entry for `key`; a run already in progress finishes. */
  cancel(key: string): void;
  nextAt(key: string): number | undefined;
  /** Number of pending (not yet started) entries. */
  size(): number;
  stop(): void;
}

export const SCHEDULER = Symbol('SCHEDULER');

export interface SchedulerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Real time; the timer is unref()ed so a pending renewal never keeps the process alive. */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface TimerSchedulerOptions {
  clock?: SchedulerClock;
  /** Jobs running at once; the rest of a burst waits its turn. Default 16. */
  concurrency?: number;
  /** Called with whatever a job threw (or rejected with); the scheduler carries on. */
  onError?: (key: string, error: unknown) => void;
}

/** setTimeout takes a signed 32-bit delay; longer ones fire immediately, so re-arm in steps. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

interface Job extends HeapItem {
  key: string;
  run: () => Promise<void> | void;
}

export class TimerScheduler implements Scheduler {
  private readonly clock: SchedulerClock;
  private readonly concurrency: number;
  private readonly onError: (key: string, error: unknown) => void;
  private readonly heap = new IndexedMinHeap<Job>();
  /** Due jobs waiting for a free slot (or for the previous run of the same key to finish). */
  private ready: Job[] = [];
  private readonly pending = new Map<string, Job>();
  private readonly running = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private timer: unknown;
  private timerAt: number | undefined;
  private seq = 0;
  private stopped = false;

  constructor(options: TimerSchedulerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.concurrency = options.concurrency ?? 16;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`scheduler concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.onError = options.onError ?? (() => undefined);
  }

  schedule(key: string, at: number, run: () => Promise<void> | void): void {
    if (this.stopped) return;
    if (!Number.isFinite(at)) throw new RangeError(`scheduler: due time for ${key} is not a finite number`);
    this.dequeue(key);
    const job: Job = { key, at, run, seq: this.seq++, heapIndex: -1 };
    this.pending.set(key, job);
    this.heap.push(job);
    this.arm();
  }

  cancel(key: string): void {
    this.dequeue(key);
    this.arm();
  }

  nextAt(key: string): number | undefined {
    return this.pending.get(key)?.at;
  }

  size(): number {
    return this.pending.size;
  }

  /** Jobs currently running. */
  activeCount(): number {
    return this.running.size;
  }

  /** Resolves once no job is running and none is due-but-waiting (future entries do not count). */
  whenIdle(): Promise<void> {
    if (this.running.size === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
    this.heap.clear();
    this.ready = [];
    this.pending.clear();
    this.notifyIdleIfSo();
  }

  private dequeue(key: string): void {
    const job = this.pending.get(key);
    if (!job) return;
    this.pending.delete(key);
    this.heap.remove(job);
    this.ready = this.ready.filter((j) => j !== job);
  }

  private arm(): void {
    const next = this.heap.peek();
    if (next?.at === this.timerAt && this.timer !== undefined) return;
    this.disarm();
    if (!next || this.stopped) return;
    const delay = Math.min(Math.max(next.at - this.clock.now(), 0), MAX_TIMER_DELAY_MS);
    this.timerAt = next.at;
    this.timer = this.clock.setTimer(() => this.fire(), delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    const now = this.clock.now();
    for (let job = this.heap.peek(); job && job.at <= now; job = this.heap.peek()) {
      this.heap.pop();
      this.ready.push(job);
    }
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (this.running.size < this.concurrency) {
      const index = this.ready.findIndex((j) => !this.running.has(j.key));
      if (index < 0) break;
      const [job] = this.ready.splice(index, 1);
      this.pending.delete(job.key);
      this.running.add(job.key);
      void this.execute(job);
    }
  }

  private async execute(job: Job): Promise<void> {
    try {
      await job.run();
    } catch (err) {
      try {
        this.onError(job.key, err);
      } catch {
        // A broken error callback must not take the scheduler down with it.
      }
    } finally {
      this.running.delete(job.key);
      if (!this.stopped) this.pump();
      this.notifyIdleIfSo();
    }
  }

  private notifyIdleIfSo(): void {
    if (this.running.size > 0 || this.ready.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
