import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/**
 * How often the loop's lateness is sampled: every stall of 100 ms or more is seen, for ~0.15 % of
 * an idle core (10 ms, prom-client's default, cost ~0.6 %; 1 s missed most stalls shorter than 1 s).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

type Histogram = ReturnType<typeof monitorEventLoopDelay>;

/** Seconds late, from one of Node's recorded intervals (ns): the interval itself is not lateness. */
const late = (intervalNs: number) => (Number.isFinite(intervalNs) ? Math.max(0, intervalNs / 1e6 - EVENT_LOOP_SAMPLE_MS) / 1e3 : 0);

const STATS = {
  min: (h: Histogram) => late(h.min),
  max: (h: Histogram) => late(h.max),
  mean: (h: Histogram) => late(h.mean),
  stddev: (h: Histogram) => (Number.isFinite(h.stddev) ? h.stddev / 1e9 : 0), // a shift leaves it as is
  p50: (h: Histogram) => late(h.percentile(50)),
  p90: (h: Histogram) => late(h.percentile(90)),
  p99: (h: Histogram) => late(h.percentile(99)),
};

/**
 * prom-client's nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds, same names and the
 * same window (reset at each scrape), measuring how late the loop was. Node's monitorEventLoopDelay
 * records the whole time between its timer's runs, the interval plus any lateness, and prom-client
 * reports that as is: at the 1 s interval we had set, an idle driver reported ~1.0 s on every one
 * of these series. Here the interval is taken off, so an idle loop reads ~0 and a 300 ms stall
 * ~0.3 s. (nodejs_eventloop_lag_seconds, a setImmediate probe at scrape time, stays prom-client's.)
 */
export function measureEventLoopLateness(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  histogram.enable();
  const gauges = new Map<keyof typeof STATS, Gauge>();
  for (const stat of Object.keys(STATS) as (keyof typeof STATS)[]) {
    const name = `nodejs_eventloop_lag_${stat}_seconds`;
    registry.removeSingleMetric(name);
    gauges.set(stat, new Gauge({
      name,
      help: `The ${stat} of how late the event loop was (sampled every ${EVENT_LOOP_SAMPLE_MS} ms) since the last scrape.`,
      registers: [registry],
      // The first one collected (registration order) sets them all, then starts a new window.
      collect: stat === 'min' ? () => {
        // An empty window (two scrapes within ~200 ms) reads min as 2^63 ns: nothing was late.
        const empty = histogram.count === 0;
        for (const [each, gauge] of gauges) gauge.set(empty ? 0 : STATS[each](histogram));
        histogram.reset();
      } : undefined,
    }));
  }
}
