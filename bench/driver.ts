// Driver figures on the whole product (kube-sim + instant CA issuer simulator + the built approver
// and driver, real tmpfs and bind mounts): start-to-ready, publish latency, 100 concurrent
// publishes, 1,000 managed volumes (RSS, idle CPU) and 1,000 renewals due at once.
import { readdirSync } from 'node:fs';
import type { KeyAlgorithm } from '@spiffe-csi/crypto';
import { startStack, type Stack } from '../test/e2e/stack';
import type { PodVolume } from '../test/e2e/kubelet';
import { FileMetadataStore } from '../apps/csi-driver/src/storage/metadata-store';
import { onCleanup } from './lib/cleanup';
import type { Figure } from './lib/figures';
import { cpuPercentOver, MB, peakRssBytes, rssBytes, sampleRss } from './lib/proc';
import { freePort, waitForReadyz } from './lib/readiness';
import { mapLimit, median, percentile, round } from './lib/stats';
import { eventually } from '../test/support/eventually';
import { caBundleFiles, caPushFigures, renewalPushFigures } from './workload-api';

const STARTS = 3;
const SEQUENTIAL = 150;
const WARMUP = 5;
const CONCURRENT = 100;
/** BENCH_MANAGED: fewer volumes for a quick check of the bench itself (figures then are not comparable). */
const MANAGED = Number(process.env.BENCH_MANAGED ?? 1_000);
const FILL_CONCURRENCY = 50;
const IDLE_WINDOW_MS = 10_000;
/** V8's memory reducer runs its clean-up GCs ~8 s after a burst; idle means after those. */
const AFTER_STORM_MS = 5_000;
const IDLE_SETTLE_MS = 20_000;
/** Renewal due at 2/3: ~40 s after issuance, later than filling 1,000 volumes normally takes. */
const SHORT_CERT_MS = 60_000;
const LONG_CERT_MS = 3_600_000;
const NAMESPACES = 10;
/** Renewals of the fill's 60 s certificates come due over about as long as the fill took, ~40 s after it. */
const RENEWAL_PUSH_WAIT_MS = 90_000;
const READY_TIMEOUT_MS = 240_000;

const DEADLINE_EXCEEDED = 4;
const step = (what: string) => console.error(`[bench] driver: ${what}`);
let podCount = 0;
let retries = 0;
const nextPod = (stack: Stack): PodVolume =>
  stack.pod({ namespace: `bench-${podCount % NAMESPACES}`, serviceAccount: 'app', name: `pod-${podCount++}` });

/** Times one NodePublishVolume; the request (and its token) is built before the clock starts. */
async function timedPublish(stack: Stack, volume: PodVolume): Promise<number> {
  const request = volume.request;
  const t0 = performance.now();
  await stack.csi.node.NodePublishVolume(request);
  return performance.now() - t0;
}

const renewedCount = (stack: Stack) => new Set(stack.driver.logs.filter((l) => l.msg === 'volume renewed').map((l) => l.volumeId)).size;

/** Publishes as kubelet does (which never gives up): a call that ran out of time is retried (the driver resumes the same request). */
async function publishWithRetry(stack: Stack, volume: PodVolume, attempts = 30): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await stack.csi.node.NodePublishVolume(volume.request);
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== DEADLINE_EXCEEDED || i >= attempts) throw err;
      retries++;
    }
  }
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Restarts the driver over the same data root and socket; resolves with spawn → /readyz 200, ms. */
async function restartDriver(stack: Stack, readinessPort: number, signal: NodeJS.Signals): Promise<number> {
  await stack.driver.stop(signal);
  const ready = waitForReadyz(readinessPort, READY_TIMEOUT_MS);
  const t0 = performance.now();
  await stack.restartDriver();
  return (await ready) - t0;
}

export async function benchDriver(algorithm: KeyAlgorithm): Promise<Figure[]> {
  const readinessPort = await freePort();
  const metricsPort = await freePort();
  const stack = await startStack({
    driverArgs: [`--readiness-probe-bind-address=127.0.0.1:${readinessPort}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--key-algorithm=${algorithm}`],
    approverArgs: [`--key-algorithm=${algorithm}`],
    logFile: process.env.BENCH_LOG_FILE, // every app's log lines, for a look at what a figure hides
  });
  const unpublishAll = async (volumes: PodVolume[]) =>
    mapLimit(volumes, 20, (v) => stack.unpublish(v).catch(() => undefined));
  const published: PodVolume[] = [];
  onCleanup('driver stack', async () => {
    await unpublishAll(published.splice(0)); // through the driver first, as kubelet would
    await stack.stop(); // then every process, mount and temp dir, even after a failure
  });
  const figures: Figure[] = [];

  step('start-to-ready');
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) starts.push(await restartDriver(stack, readinessPort, 'SIGTERM'));
  figures.push({ section: 'startup', name: 'driver start-to-ready (spawn → /readyz 200), median', value: Math.round(median(starts)),
    unit: 'ms', target: { op: '<=', value: 1_000 }, note: `${STARTS} starts, empty data root: ${starts.map((s) => Math.round(s)).join(', ')} ms` });

  step('sequential publishes');
  // Sequential publishes: one Pod at a time, each a fresh key and a new CertificateRequest.
  const latencies: number[] = [];
  for (let i = 0; i < WARMUP + SEQUENTIAL; i++) {
    const volume = nextPod(stack);
    published.push(volume);
    const ms = await timedPublish(stack, volume);
    if (i >= WARMUP) latencies.push(ms);
  }
  const seqNote = `${SEQUENTIAL} sequential publishes, instant CA issuer + real approver`;
  figures.push(
    { section: 'driver', name: 'NodePublishVolume p50', value: round(median(latencies)), unit: 'ms', target: { op: '<=', value: 50 }, note: seqNote },
    { section: 'driver', name: 'NodePublishVolume p99', value: round(percentile(latencies, 99)), unit: 'ms', target: { op: '<=', value: 150 }, note: seqNote },
  );

  step('concurrent publishes');
  // 100 Pods scheduled on the node at once.
  const burst = Array.from({ length: CONCURRENT }, () => nextPod(stack));
  published.push(...burst);
  const t0 = performance.now();
  const each = await Promise.all(burst.map(async (v) => {
    const s = performance.now();
    await publishWithRetry(stack, v);
    return performance.now() - s;
  }));
  const wall = performance.now() - t0;
  figures.push({ section: 'driver', name: `${CONCURRENT} concurrent publishes, wall time`, value: Math.round(wall), unit: 'ms',
    target: { op: '<=', value: 3_000 }, note: `per call p50 ${Math.round(median(each))} / p99 ${Math.round(percentile(each, 99))} ms` });

  // Free those volumes, then fill the node with 1,000 volumes on short certificates.
  const unpublishT0 = performance.now();
  await unpublishAll(published.splice(0));
  const unpublishMs = performance.now() - unpublishT0;
  stack.issuer.setCertDuration(SHORT_CERT_MS);
  step(`filling ${MANAGED} volumes, certificates of ${SHORT_CERT_MS / 1000} s`);
  const fill = Array.from({ length: MANAGED }, () => nextPod(stack));
  published.push(...fill);
  const fillT0 = performance.now();
  await mapLimit(fill, FILL_CONCURRENCY, (v) => publishWithRetry(stack, v));
  const fillMs = performance.now() - fillT0;
  const pid = stack.driver.child.pid!;
  const rssAfterFill = rssBytes(pid);
  const renewedDuringFill = renewedCount(stack);
  figures.push(
    { section: 'driver', name: `unpublish ${SEQUENTIAL + WARMUP + CONCURRENT} volumes`, value: Math.round(unpublishMs), unit: 'ms', note: '20 in flight' },
    { section: 'driver', name: `publish ${MANAGED} volumes`, value: Math.round(fillMs), unit: 'ms',
      note: `${FILL_CONCURRENCY} in flight, ${Math.round(MANAGED / (fillMs / 1000))}/s; ${retries} calls retried after the client's 10 s deadline` +
        `${renewedDuringFill ? `; ${renewedDuringFill} early volumes already renewed meanwhile` : ''}` },
    { section: 'driver', name: `${MANAGED} managed volumes: driver RSS`, value: round(rssAfterFill / MB), unit: 'MB', target: { op: '<=', value: 150 },
      note: `VmRSS as the last one was issued (Workload API on, the default); peak so far ${round(peakRssBytes(pid) / MB)} MB; ` +
        `${openFds(pid)} open fds` },
  );

  figures.push(...await renewalPushFigures(stack, fill.map((v) => v.volumeId), RENEWAL_PUSH_WAIT_MS,
    `http://127.0.0.1:${metricsPort}/metrics`));
  figures.push(...await renewalFigures(stack, readinessPort));

  // Idle: every volume now holds a fresh long certificate, so nothing is due for a long time.
  step('idle CPU and RSS');
  await new Promise((r) => setTimeout(r, AFTER_STORM_MS));
  const idlePid = stack.driver.child.pid!;
  const cleanUpCpu = await cpuPercentOver(idlePid, IDLE_WINDOW_MS);
  await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS - AFTER_STORM_MS - IDLE_WINDOW_MS));
  const idleCpu = await cpuPercentOver(idlePid, IDLE_WINDOW_MS);
  figures.push(
    { section: 'driver', name: `${MANAGED} managed volumes: CPU right after the renewal storm`, value: round(cleanUpCpu, 2), unit: '%',
      note: `${AFTER_STORM_MS / 1000}-${(AFTER_STORM_MS + IDLE_WINDOW_MS) / 1000} s after the last renewal: V8's memory reducer GCs the storm's garbage` },
    { section: 'driver', name: `${MANAGED} managed volumes: idle CPU`, value: round(idleCpu, 2), unit: '%', target: { op: '<', value: 1 },
      note: `utime+stime from /proc/<pid>/stat over ${IDLE_WINDOW_MS / 1000} s (of one core), ${IDLE_SETTLE_MS / 1000} s after the renewal storm below` },
    { section: 'driver', name: `${MANAGED} managed volumes: RSS after idle`, value: round(rssBytes(idlePid) / MB), unit: 'MB',
      note: 'the restarted driver, after renewing all of them' },
  );
  figures.push(...await workloadApiOnOff(stack, published, readinessPort, unpublishAll));
  return figures;
}

/**
 * The Workload API's cost (issue 13): a fresh driver fills 1,000 volumes with it off, then with it
 * on; RSS and open fds as the last one was issued. Both with --source-ca-bundle, so the "on" run
 * then measures a CA bundle change pushed to every volume's open stream.
 */
async function workloadApiOnOff(stack: Stack, published: PodVolume[], readinessPort: number,
  unpublishAll: (volumes: PodVolume[]) => Promise<unknown>): Promise<Figure[]> {
  const bundle = caBundleFiles(stack.issuer.caPem);
  const figures: Figure[] = [];
  const readings: Record<string, { rss: number; fds: number }> = {};
  for (const mode of ['off', 'on'] as const) {
    step(`Workload API ${mode}: fresh driver, filling ${MANAGED} volumes`);
    await unpublishAll(published.splice(0));
    const args = stack.driverArgs;
    args.splice(0, args.length, ...args.filter((a) => !/^--(workload-api-socket-name|source-ca-bundle)=/.test(a)),
      `--source-ca-bundle=${bundle.path}`, ...(mode === 'off' ? ['--workload-api-socket-name='] : []));
    await restartDriver(stack, readinessPort, 'SIGTERM');
    const fill = Array.from({ length: MANAGED }, () => nextPod(stack));
    published.push(...fill);
    await mapLimit(fill, FILL_CONCURRENCY, (v) => publishWithRetry(stack, v));
    const pid = stack.driver.child.pid!;
    readings[mode] = { rss: rssBytes(pid) / MB, fds: openFds(pid) };
    if (mode === 'on') figures.push(...await caPushFigures(stack, fill.map((v) => v.volumeId), bundle, readinessPort));
  }
  const { off, on } = readings;
  const fresh = `a freshly started driver, --source-ca-bundle set; VmRSS as the last one was issued`;
  figures.push(
    { section: 'driver', name: `${MANAGED} volumes, Workload API off: driver RSS`, value: round(off.rss), unit: 'MB', target: { op: '<=', value: 150 },
      note: `${fresh}; compare with 125 MB before the Workload API (same history as the row above, then)` },
    { section: 'driver', name: `${MANAGED} volumes, Workload API on: driver RSS`, value: round(on.rss), unit: 'MB',
      target: { op: '<=', value: round(off.rss + 40) }, note: `${fresh}; target: off + 40 MB` },
    { section: 'driver', name: `${MANAGED} volumes, Workload API off: open fds`, value: off.fds, unit: '', note: '/proc/<pid>/fd' },
    { section: 'driver', name: `${MANAGED} volumes, Workload API on: open fds`, value: on.fds, unit: '',
      note: `/proc/<pid>/fd: one listening socket per volume (+${on.fds - off.fds})` },
  );
  return figures;
}

/** Epoch ms by which every volume's renewal is due, read from the volumes' metadata. */
async function lastRenewalDue(dataRoot: string): Promise<number> {
  const store = new FileMetadataStore(dataRoot);
  const ids = await store.list();
  const due = await mapLimit(ids, 50, async (id) => Date.parse((await store.read(id))?.nextIssuanceTime ?? '') || 0);
  return Math.max(0, ...due);
}

/**
 * 1,000 renewals due at once: the driver is SIGKILLed, we wait until every certificate has passed
 * its renewal time (2/3 of its lifetime), and a new driver resumes the volumes, all overdue. The
 * issuer then hands out long certificates, so the idle measurement that follows sees none due.
 */
async function renewalFigures(stack: Stack, readinessPort: number): Promise<Figure[]> {
  step('driver SIGKILLed; waiting until every certificate is due');
  await stack.driver.stop('SIGKILL');
  const allDueAt = (await lastRenewalDue(stack.dataRoot)) + 500;
  await new Promise((r) => setTimeout(r, Math.max(0, allDueAt - Date.now())));
  stack.issuer.setCertDuration(LONG_CERT_MS);
  step('restarting; renewing');
  const t0 = performance.now();
  const readyMs = await restartDriver(stack, readinessPort, 'SIGKILL');
  const rss = sampleRss(stack.driver.child.pid!);
  await eventually(() => renewedCount(stack) >= MANAGED, 180_000, `${MANAGED} renewals (${renewedCount(stack)} seen)`);
  const allRenewedMs = performance.now() - t0;
  const sampledPeak = rss.stop();
  const hwm = peakRssBytes(stack.driver.child.pid!);
  return [
    { section: 'driver', name: `renewal of ${MANAGED} volumes due at once: time to all renewed`, value: Math.round(allRenewedMs), unit: 'ms',
      note: `from driver restart (ready after ${Math.round(readyMs)} ms) with all ${MANAGED} overdue` },
    { section: 'driver', name: `renewal of ${MANAGED} volumes due at once: peak RSS`, value: round(Math.max(hwm, sampledPeak) / MB), unit: 'MB',
      note: 'kernel high-water mark (VmHWM) of the restarted driver' },
  ];
}
