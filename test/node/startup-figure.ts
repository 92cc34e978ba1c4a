// The figure users feel: time from Pod creation (the create call returning) to the Pod being
// Running (seen on a watch), for Pods that mount our volume against identical Pods without it,
// created one at a time and interleaved in the same run so both see the same machine.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RealCluster } from '../real/cluster';
import { containerId, containerLog, containerStartedAt, ENV, getPod, listPods, RELEASE_NAMESPACE, workloadPod, type PodObject } from './node';
import {
  breakdown, formatBreakdown, publishLines, readIfExists, readIssuerTrace, requestPath, type Breakdown, type PodTimes,
} from './startup-breakdown';

interface Quantiles { withVolume: number; without: number; added: number }
export interface StartupFigure {
  /** Create call returned → Pod seen Running on a watch (what kubectl shows; kubelet's PLEG relists every 1 s). */
  withVolume: number[];
  without: number[];
  p50: Quantiles;
  p95: Quantiles;
  /** Create call returned → the container's process started (CRI started_at): the same path without the relist tick. */
  started: { withVolume: number[]; without: number[]; p50: Quantiles; p95: Quantiles };
  /** Create call returned → the driver logged "volume published" for the Pod's volume (the driver's share ends there). */
  published: { samples: number[]; p50: number; p95: number };
  /** Where the time went, step by step (medians). */
  breakdown: Breakdown;
}

export const FIGURE_FILE = resolve(__dirname, '../../.tmp/node-startup-figure.json');
/** The logs the breakdown was computed from, for a closer look after the run. */
const LOG_DIR = resolve(__dirname, '../../.tmp/node-startup-logs');

const volumeIdOf = (uid: string) => `csi-${createHash('sha256').update(`${uid}spiffe`).digest('hex')}`;

/** The issue's target for the added p50 (CRI started_at). */
export const TARGET_MS = 100;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

export async function measureStartup(cluster: RealCluster, namespace: string, n: number): Promise<StartupFigure> {
  const driverLog = async () => {
    const [driver] = await listPods(cluster, RELEASE_NAMESPACE, 'app=cert-manager-csi-driver-spiffe');
    return driver ? containerLog(driver, 'cert-manager-csi-driver-spiffe') : '';
  };
  const running = new Map<string, number>();
  const watch = cluster.admin.watch(`/api/v1/namespaces/${namespace}/pods`, {}, (e) => {
    const pod = e.object as unknown as PodObject;
    if (pod.status?.phase === 'Running' && !running.has(pod.metadata.name)) running.set(pod.metadata.name, performance.now());
  });
  watch.done.catch(() => undefined);
  await sleep(200);
  const createdAt = new Map<string, { wall: number; uid: string }>();
  const timed: PodTimes[] = [];
  const one = async (name: string, volume: boolean): Promise<[running: number, started: number]> => {
    const pod = workloadPod(namespace, name, { serviceAccount: 'app', volume });
    const wall0 = Date.now();
    const t0 = performance.now();
    const made = await cluster.must<PodObject>('POST', `/api/v1/namespaces/${namespace}/pods`, pod, [201]);
    const created = { wall: wall0 + (performance.now() - t0), mono: performance.now() };
    if (volume) createdAt.set(name, { wall: created.wall, uid: made.metadata.uid as string });
    const deadline = Date.now() + 60_000;
    while (!running.has(name)) {
      if (Date.now() > deadline) throw new Error(`Pod ${name} not Running within 60s`);
      await sleep(5);
    }
    const p = await getPod(cluster, namespace, name);
    const startedAt = await containerStartedAt(containerId(p!, 'app'));
    timed.push({ name, uid: made.metadata.uid as string, created: created.wall, started: startedAt, volume });
    return [running.get(name)! - created.mono, startedAt - created.wall];
  };
  try {
    // One warm-up of each (first sandbox, first issuance for this ServiceAccount), not counted.
    await one('warmup-without', false);
    await one('warmup-with', true);
    const withVolume: number[] = [];
    const without: number[] = [];
    const startedWith: number[] = [];
    const startedWithout: number[] = [];
    for (let i = 0; i < n; i++) {
      const [r0, s0] = await one(`without-${i}`, false);
      without.push(r0);
      startedWithout.push(s0);
      const [r1, s1] = await one(`with-${i}`, true);
      withVolume.push(r1);
      startedWith.push(s1);
    }
    const p = (a: number[], b: number[], q: number) => {
      const w = quantile(a, q);
      const o = quantile(b, q);
      return { withVolume: w, without: o, added: w - o };
    };
    const log = await driverLog();
    const published = publishTimes(createdAt, [...Array(n).keys()].map((i) => `with-${i}`), log);
    const counted = timed.filter((t) => !t.name.startsWith('warmup-'));
    const logs = {
      kubelet: readIfExists(join(ENV.STATE, 'logs/kubelet.log')), containerd: readIfExists(join(ENV.STATE, 'logs/containerd.log')), driver: log,
      approver: (await listPods(cluster, RELEASE_NAMESPACE, 'app=cert-manager-csi-driver-spiffe-approver'))
        .map((p) => containerLog(p, 'cert-manager-csi-driver-spiffe-approver')).join('\n'),
    };
    // Kept beside the figure: the node (and these logs with it) is gone once the tier ends.
    mkdirSync(LOG_DIR, { recursive: true });
    for (const [name, text] of Object.entries(logs)) writeFileSync(join(LOG_DIR, `${name}.log`), text);
    writeFileSync(join(LOG_DIR, 'pods.json'), JSON.stringify(counted, null, 1));
    return {
      breakdown: {
        ...breakdown(counted, volumeIdOf, logs),
        request: requestPath(counted, volumeIdOf, log, logs.approver, readIssuerTrace()),
      },
      published: { samples: published, p50: quantile(published, 0.5), p95: quantile(published, 0.95) },
      withVolume, without, p50: p(withVolume, without, 0.5), p95: p(withVolume, without, 0.95),
      started: { withVolume: startedWith, without: startedWithout,
        p50: p(startedWith, startedWithout, 0.5), p95: p(startedWith, startedWithout, 0.95) },
    };
  } finally {
    watch.stop();
  }
}

/** ms from each Pod's creation to the driver's "volume published" log line for its volume. */
function publishTimes(createdAt: Map<string, { wall: number; uid: string }>, names: string[], log: string): number[] {
  const lines = publishLines(log);
  return names.flatMap((name) => {
    const c = createdAt.get(name);
    const t = c && lines.get(volumeIdOf(c.uid))?.time;
    return c && t ? [t - c.wall] : [];
  });
}

export function printFigure(f: StartupFigure): void {
  const ms = (x: number) => `${Math.round(x)} ms`;
  const row = (label: string, q: Quantiles) =>
    `  ${label}: with our volume ${ms(q.withVolume)}, without ${ms(q.without)}, added ${ms(q.added)}`;
  console.warn([
    `Pod created → Running, seen on a watch (${f.withVolume.length} + ${f.without.length} Pods, interleaved; kubelet reports Running on its 1 s PLEG relist):`,
    `${row('p50', f.p50)} (target ≤ 100 ms)`, row('p95', f.p95),
    'Pod created → container started (CRI started_at, no relist tick):',
    `${row('p50', f.started.p50)} (target ≤ 100 ms: ${f.started.p50.added <= TARGET_MS ? 'met' : 'NOT met'} this run)`,
    row('p95', f.started.p95),
    `  reported, not asserted: whether a Pod with our volume makes the same 300 ms volume tick of kubelet 1.20 as one
  without is a race between the driver's ~50–120 ms and kubelet's own tick phase, so on a loaded 2-core
  machine the p50 flips between runs (see test/node/README.md, "The figure users feel").`,
    `Pod created → driver logged "volume published": p50 ${ms(f.published.p50)}, p95 ${ms(f.published.p95)} (${f.published.samples.length} Pods; the rest is kubelet's)`,
    formatBreakdown(f.breakdown),
  ].join('\n'));
  mkdirSync(resolve(FIGURE_FILE, '..'), { recursive: true });
  writeFileSync(FIGURE_FILE, JSON.stringify({ measuredAt: new Date().toISOString(), ...f }, null, 2));
}
