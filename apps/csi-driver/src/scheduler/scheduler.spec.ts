import { describe, expect, it } from 'vitest';
import { MAX_TIMER_DELAY_MS, SchedulerClock, TimerScheduler, systemClock } from './scheduler';

/** Deterministic clock: timers fire only inside advance(). */
class FakeClock implements SchedulerClock {
  time = 1_000_000;
  readonly delays: number[] = [];
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 0;

  now = (): number => this.time;
  setTimer = (fn: () => void, ms: number): unknown => {
    this.delays.push(ms);
    this.timers.set(++this.nextId, { at: this.time + ms, fn });
    return this.nextId;
  };
  clearTimer = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  get armed(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = target;
  }
}

function setup(concurrency = 16) {
  const clock = new FakeClock();
  const errors: [string, unknown][] = [];
  const scheduler = new TimerScheduler({ clock, concurrency, onError: (key, err) => errors.push([key, err]) });
  return { clock, errors, scheduler };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('TimerScheduler', () => {
  it('runs jobs in due order (FIFO on ties) with a single timer armed for the earliest', async () => {
    const { clock, scheduler } = setup();
    const ran: string[] = [];
    const t0 = clock.time;
    for (const [key, delay] of [['c', 300], ['a', 100], ['b', 200], ['a2', 100]] as const) {
      scheduler.schedule(key, t0 + delay, () => void ran.push(key));
    }
    expect(clock.armed).toBe(1);
    expect(clock.delays.at(-1)).toBe(100);
    clock.advance(150);
    await scheduler.whenIdle();
    expect(ran).toEqual(['a', 'a2']);
    expect(clock.delays.at(-1)).toBe(100); // re-armed at t0+100 for 'b' at t0+200
    clock.advance(1000);
    await scheduler.whenIdle();
    expect(ran).toEqual(['a', 'a2', 'b', 'c']);
    expect([scheduler.size(), clock.armed]).toEqual([0, 0]);
  });

  it('replaces the pending entry of a key, and cancel drops it', async () => {
    const { clock, scheduler } = setup();
    const ran: string[] = [];
    scheduler.schedule('vol', clock.time + 100, () => void ran.push('old'));
    scheduler.schedule('vol', clock.time + 500, () => void ran.push('new'));
    scheduler.schedule('other', clock.time + 50, () => void ran.push('other'));
    expect([scheduler.size(), scheduler.nextAt('vol')]).toEqual([2, clock.time + 500]);
    scheduler.cancel('other');
    scheduler.cancel('unknown');
    expect(scheduler.nextAt('other')).toBeUndefined();
    clock.advance(499);
    await scheduler.whenIdle();
    expect(ran).toEqual([]);
    clock.advance(1);
    await scheduler.whenIdle();
    expect(ran).toEqual(['new']);
  });

  it('runs past-due jobs on the next tick', async () => {
    const { clock, scheduler } = setup();
    let ran = false;
    scheduler.schedule('late', clock.time - 10_000, () => void (ran = true));
    expect(clock.delays.at(-1)).toBe(0);
    clock.advance(0);
    await scheduler.whenIdle();
    expect(ran).toBe(true);
  });

  it('bounds concurrency: a burst of due jobs runs at most N at once and all finish', async () => {
    const { clock, scheduler } = setup(3);
    const gates = Array.from({ length: 10 }, deferred);
    let active = 0;
    let peak = 0;
    let done = 0;
    gates.forEach((gate, i) =>
      scheduler.schedule(`v${i}`, clock.time, async () => {
        peak = Math.max(peak, ++active);
        await gate.promise;
        active--;
        done++;
      }),
    );
    clock.advance(0);
    expect(scheduler.activeCount()).toBe(3);
    for (const gate of gates) gate.resolve();
    await scheduler.whenIdle();
    expect([peak, done]).toEqual([3, 10]);
  });

  it('isolates failures: throwing and rejecting jobs are reported, the rest still run', async () => {
    const { clock, errors, scheduler } = setup();
    const ran: string[] = [];
    scheduler.schedule('sync-throw', clock.time + 1, () => {
      throw new Error('boom');
    });
    scheduler.schedule('reject', clock.time + 1, () => Promise.reject(new Error('nope')));
    scheduler.schedule('fine', clock.time + 2, () => void ran.push('fine'));
    clock.advance(5);
    await scheduler.whenIdle();
    expect(errors.map(([key, err]) => [key, (err as Error).message])).toEqual([
      ['sync-throw', 'boom'],
      ['reject', 'nope'],
    ]);
    expect(ran).toEqual(['fine']);
    scheduler.schedule('after', clock.time + 1, () => void ran.push('after'));
    clock.advance(1);
    await scheduler.whenIdle();
    expect(ran).toEqual(['fine', 'after']);
  });

  it('never runs one key twice at once; a job may reschedule itself', async () => {
    const { clock, scheduler } = setup();
    const gate = deferred();
    const runs: number[] = [];
    let active = 0;
    const job = async () => {
      expect(++active).toBe(1);
      runs.push(clock.time);
      if (runs.length === 1) {
        scheduler.schedule('vol', clock.time, job); // due now, but the first run is still going
        await gate.promise;
      }
      active--;
    };
    scheduler.schedule('vol', clock.time + 10, job);
    clock.advance(10);
    clock.advance(10);
    expect(runs).toHaveLength(1);
    gate.resolve();
    await scheduler.whenIdle();
    expect(runs).toHaveLength(2);
  });

  it('clamps delays beyond setTimeout range and re-arms until the real due time', async () => {
    const { clock, scheduler } = setup();
    let ran = false;
    const due = clock.time + 2 ** 32;
    scheduler.schedule('far', due, () => void (ran = true));
    expect(clock.delays.at(-1)).toBe(MAX_TIMER_DELAY_MS);
    clock.advance(MAX_TIMER_DELAY_MS);
    await scheduler.whenIdle();
    expect([ran, clock.armed, scheduler.nextAt('far')]).toEqual([false, 1, due]);
    clock.advance(due - clock.time);
    await scheduler.whenIdle();
    expect(ran).toBe(true);
  });

  it('handles 1,000 entries with one timer, in non-decreasing due order', async () => {
    const { clock, scheduler } = setup(16);
    const start = clock.time;
    const order: number[] = [];
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 1000; i++) {
      const at = start + Math.floor(rand() * 3_600_000);
      scheduler.schedule(`v${i}`, at, () => void order.push(at));
    }
    expect([scheduler.size(), clock.armed]).toEqual([1000, 1]);
    for (let t = 0; t < 3_600_000; t += 60_000) {
      clock.advance(60_000);
      await scheduler.whenIdle();
    }
    expect(order).toHaveLength(1000);
    expect(order.every((at, i) => i === 0 || order[i - 1] <= at)).toBe(true);
    expect(clock.armed).toBe(0);
  });

  it('stop() disarms the timer, drops pending work and ignores later schedules', async () => {
    const { clock, scheduler } = setup();
    let ran = 0;
    scheduler.schedule('a', clock.time + 1, () => void ran++);
    scheduler.stop();
    scheduler.schedule('b', clock.time + 1, () => void ran++);
    expect([clock.armed, scheduler.size()]).toEqual([0, 0]);
    clock.advance(10);
    await scheduler.whenIdle();
    expect(ran).toBe(0);
  });

  it('refuses a non-finite due time and a nonsensical concurrency', () => {
    const { scheduler } = setup();
    expect(() => scheduler.schedule('x', Number.NaN, () => undefined)).toThrow(/not a finite number/);
    expect(() => new TimerScheduler({ concurrency: 0 })).toThrow(/positive integer/);
  });

  it('uses an unref()ed real timer so pending renewals never keep the process alive', () => {
    const handle = systemClock.setTimer(() => undefined, 60_000) as NodeJS.Timeout;
    try {
      expect(handle.hasRef()).toBe(false);
    } finally {
      systemClock.clearTimer(handle);
    }
  });
});
