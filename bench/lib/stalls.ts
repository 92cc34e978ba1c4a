// Where a latency tail comes from: event-loop stalls over one measuring window, in the bench
// process itself (which also runs kube-sim, the CA issuer and every measuring client) and in the
// driver (its own prom-client readings), printed beside the figure they may explain.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { round } from './stats';

const OWN_SAMPLE_MS = 10;

interface DriverReadings {
  lagMaxSeconds: number;
  majorGcs: number;
  /** Major GCs longer than 100 ms (prom-client's default buckets end one at 0.1 s). */
  majorGcsOver100ms: number;
}

export interface StallWatch {
  /** One line for a figure's note. */
  stop(): Promise<string>;
}

/**
 * Starts watching; the driver's nodejs_eventloop_lag_max_seconds restarts at this reading (reset
 * per scrape). Node records whole sampling intervals, so the bench's own reading has its interval
 * taken off, as the driver's metric does (libs/observability/src/event-loop-lag.ts).
 */
export async function watchStalls(driverMetricsUrl: string): Promise<StallWatch> {
  const own = monitorEventLoopDelay({ resolution: OWN_SAMPLE_MS });
  own.enable();
  const before = await driverReadings(driverMetricsUrl);
  return {
    async stop() {
      own.disable();
      const after = await driverReadings(driverMetricsUrl);
      return `event-loop stalls meanwhile: bench process max ${round(Math.max(0, own.max / 1e6 - OWN_SAMPLE_MS))} ms, driver max ${round(after.lagMaxSeconds * 1000)} ms; ` +
        `driver major GCs ${after.majorGcs - before.majorGcs} (over 100 ms: ${after.majorGcsOver100ms - before.majorGcsOver100ms})`;
    },
  };
}

async function driverReadings(url: string): Promise<DriverReadings> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  const majorGcs = value(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m);
  return {
    lagMaxSeconds: value(/^nodejs_eventloop_lag_max_seconds (\S+)$/m),
    majorGcs,
    majorGcsOver100ms: majorGcs - value(/^nodejs_gc_duration_seconds_bucket\{le="0\.1",kind="major"\} (\S+)$/m),
  };
}
