// Workload API figures (issue 13) on the driver bench's stack: how fast a renewal reaches an open
// FetchX509SVID stream, and how a CA bundle change reaches 1,000 open streams without stalling
// the driver.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '../test/e2e/stack';
import { eventually } from '../test/support/eventually';
import { onCleanup } from './lib/cleanup';
import type { Figure } from './lib/figures';
import { median, percentile, round } from './lib/stats';
import { watchStalls } from './lib/stalls';
import { StreamFleet } from './lib/workload-streams';

const step = (what: string) => console.error(`[bench] driver: ${what}`);
const quantiles = (xs: number[]) => `p50 ${round(median(xs))} / p99 ${round(percentile(xs, 99))} / max ${round(Math.max(...xs))} ms`;

async function openFleet(stack: Stack, volumeIds: string[]): Promise<StreamFleet> {
  const fleet = await StreamFleet.open(stack.dataRoot, volumeIds);
  const undo = onCleanup('workload streams', () => fleet.close());
  await eventually(() => fleet.streams.every((s) => s.messages.length > 0), 60_000,
    `a first message on ${volumeIds.length} streams (${fleet.streams.filter((s) => s.messages.length > 0).length} so far)`);
  return Object.assign(fleet, { close: undo });
}

/**
 * Renewals as they come due on a running driver (the fill's 60 s certificates, renewed at ~2/3,
 * spread as the fill was): from the atomic swap of a volume's `..data` link (inotify, in the bench
 * process) to the renewed SVID arriving on that volume's open stream (same clock).
 */
export async function renewalPushFigures(stack: Stack, volumeIds: string[], waitMs: number, driverMetricsUrl: string): Promise<Figure[]> {
  step(`Workload API: ${volumeIds.length} open streams, waiting for renewals`);
  const fleet = await openFleet(stack, volumeIds);
  const since = performance.now();
  const stalls = await watchStalls(driverMetricsUrl);
  await eventually(() => fleet.streams.every((s) => s.messages.length > 1), waitMs, 'renewals').catch(() => undefined);
  const stalled = await stalls.stop();
  const latencies = fleet.renewalLatencies(since);
  await fleet.close();
  if (latencies.length === 0) throw new Error('no renewal reached an open Workload API stream');
  const note = `${latencies.length} renewals of ${volumeIds.length} volumes with open FetchX509SVID streams, on a running driver ` +
    `(renewals spread as the fill was); ${quantiles(latencies)}; ${stalled}`;
  return [
    { section: 'driver', name: 'Workload API: renewal file swap → new SVID on the open stream, p50', value: round(median(latencies)),
      unit: 'ms', target: { op: '<=', value: 100 }, note },
    { section: 'driver', name: 'Workload API: renewal file swap → new SVID on the open stream, p99', value: round(percentile(latencies, 99)),
      unit: 'ms', target: { op: '<=', value: 100 }, note },
  ];
}

/** A --source-ca-bundle file holding the issuer's CA, and the next bundle: the same plus another CA. */
export function caBundleFiles(issuerCaPem: string): { path: string; nextBundle: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ca-'));
  onCleanup('CA bundle dir', () => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=bench-next-ca', '-keyout', join(dir, 'next.key'), '-out', join(dir, 'next.pem')], { stdio: 'ignore' });
  const path = join(dir, 'ca.crt');
  writeFileSync(path, issuerCaPem);
  return { path, nextBundle: `${issuerCaPem.trim()}\n${readFileSync(join(dir, 'next.pem'), 'utf8')}` };
}

/**
 * A CA bundle change with every volume's stream open: from the bundle file's atomic replacement to
 * the new bundle on each stream, and the slowest answer of the driver's /readyz meanwhile (polled
 * every 10 ms). (Its own nodejs_eventloop_lag_max_seconds samples every 100 ms.)
 */
export async function caPushFigures(stack: Stack, volumeIds: string[], bundle: { path: string; nextBundle: string },
  readinessPort: number): Promise<Figure[]> {
  step(`Workload API: CA bundle change pushed to ${volumeIds.length} open streams`);
  const fleet = await openFleet(stack, volumeIds);
  const sizeBefore = new Map(fleet.streams.map((s) => [s.volumeId, s.messages[0].bundle.length]));
  const probe = pollLatency(`http://127.0.0.1:${readinessPort}/readyz`, 10);
  const t0 = performance.now();
  writeFileSync(`${bundle.path}.tmp`, bundle.nextBundle);
  renameSync(`${bundle.path}.tmp`, bundle.path);
  const pushedAt = (s: StreamFleet['streams'][number]) => s.messages.find((m) => m.bundle.length > sizeBefore.get(s.volumeId)!)?.at;
  await eventually(() => fleet.streams.every((s) => pushedAt(s) !== undefined), 120_000,
    `the new bundle on every stream (${fleet.streams.filter((s) => pushedAt(s) !== undefined).length} so far)`);
  const delays = fleet.streams.map((s) => pushedAt(s)! - t0);
  const slowestReadyz = await probe.stop();
  await fleet.close();
  const note = `${volumeIds.length} open FetchX509SVID streams; from the bundle file's rename: ${quantiles(delays)}`;
  return [
    { section: 'driver', name: `Workload API: CA bundle change → all ${volumeIds.length} streams pushed`, value: Math.round(Math.max(...delays)),
      unit: 'ms', note },
    { section: 'driver', name: 'Workload API: CA bundle change, slowest /readyz answer meanwhile', value: round(slowestReadyz), unit: 'ms',
      note: 'polled every 10 ms; includes waiting for libuv\'s pool (readiness reads mountinfo) behind the CA files being rewritten' },
  ];
}

/** Polls `url` every `everyMs` (one request at a time) until stopped; resolves with the slowest answer, ms. */
function pollLatency(url: string, everyMs: number): { stop(): Promise<number> } {
  let worst = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await fetch(url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.arrayBuffer()).catch(() => undefined);
      worst = Math.max(worst, performance.now() - t);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { stop: async () => ((running = false), await loop, worst) };
}
