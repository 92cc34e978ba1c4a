import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EVENT_LOOP_SAMPLE_MS } from './event-loop-lag';
import { createMetricsRegistry } from './observability.module';

async function lag(registry: ReturnType<typeof createMetricsRegistry>): Promise<Record<string, number>> {
  const text = await registry.metrics();
  return Object.fromEntries([...text.matchAll(/^nodejs_eventloop_lag_(\w+)_seconds (\S+)$/gm)].map(([, stat, value]) => [stat, Number(value)]));
}

describe('nodejs_eventloop_lag_* (how late the loop ran, not the sampling interval)', () => {
  it('reads near 0 on an idle loop and the stall\'s length after the loop was blocked, each scrape a new window', async () => {
    const registry = createMetricsRegistry();
    await sleep(EVENT_LOOP_SAMPLE_MS * 6);
    const idle = await lag(registry);
    // Node records whole intervals (100 ms here); reported as is, min would be >= 0.1 s.
    expect(idle.min).toBeLessThan(0.05);
    expect(idle.p50).toBeLessThan(0.05);

    await sleep(EVENT_LOOP_SAMPLE_MS * 2); // after a reset, Node's first interval only restarts its clock
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // a stalled loop: a synchronous 400 ms
    }
    await sleep(EVENT_LOOP_SAMPLE_MS * 3);
    const stalled = await lag(registry);
    expect(stalled.max).toBeGreaterThan(0.25);
    expect(stalled.max).toBeLessThan(1);

    await sleep(EVENT_LOOP_SAMPLE_MS * 4);
    expect((await lag(registry)).max).toBeLessThan(0.25); // the stall belonged to the last window
  });

  it('reads 0, not Node\'s empty-histogram sentinel, for a window with no sample (two scrapes back to back)', async () => {
    const registry = createMetricsRegistry();
    await sleep(EVENT_LOOP_SAMPLE_MS * 3);
    await lag(registry);
    const empty = await lag(registry);
    expect(empty.min).toBe(0);
    expect(empty.max).toBe(0);
    expect(empty.mean).toBe(0);
  });
});
