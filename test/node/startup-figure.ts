// The figure users feel: time from Pod creation (the create call returning) to the Pod being
// Running (seen on a watch), for Pods that mount our volume against identical Pods without it,
// created one at a time and interleaved in the same run so both see the same machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RealCluster } from '../real/cluster';
import { workloadPod, type PodObject } from './node';

export interface StartupFigure {
  withVolume: number[];
  without: number[];
  p50: { withVolume: number; without: number; added: number };
  p95: { withVolume: number; without: number; added: number };
}

export const FIGURE_FILE = resolve(__dirname, '../../.tmp/node-startup-figure.json');

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

export async function measureStartup(cluster: RealCluster, namespace: string, n: number): Promise<StartupFigure> {
  const running = new Map<string, number>();
  const watch = cluster.admin.watch(`/api/v1/namespaces/${namespace}/pods`, {}, (e) => {
    const pod = e.object as unknown as PodObject;
    if (pod.status?.phase === 'Running' && !running.has(pod.metadata.name)) running.set(pod.metadata.name, performance.now());
  });
  watch.done.catch(() => undefined);
  await sleep(200);
  const one = async (name: string, volume: boolean): Promise<number> => {
    const pod = workloadPod(namespace, name, { serviceAccount: 'app', volume });
    const t0 = performance.now();
    await cluster.must('POST', `/api/v1/namespaces/${namespace}/pods`, pod, [201]);
    const deadline = Date.now() + 60_000;
    while (!running.has(name)) {
      if (Date.now() > deadline) throw new Error(`Pod ${name} not Running within 60s`);
      await sleep(5);
    }
    return running.get(name)! - t0;
  };
  try {
    // One warm-up of each (first sandbox, first issuance for this ServiceAccount), not counted.
    await one('warmup-without', false);
    await one('warmup-with', true);
    const withVolume: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < n; i++) {
      without.push(await one(`without-${i}`, false));
      withVolume.push(await one(`with-${i}`, true));
    }
    const p = (q: number) => {
      const w = quantile(withVolume, q);
      const o = quantile(without, q);
      return { withVolume: w, without: o, added: w - o };
    };
    return { withVolume, without, p50: p(0.5), p95: p(0.95) };
  } finally {
    watch.stop();
  }
}

export function printFigure(f: StartupFigure): void {
  const ms = (x: number) => `${Math.round(x)} ms`;
  console.warn([
    `Pod created → Running (${f.withVolume.length} + ${f.without.length} Pods, interleaved):`,
    `  p50: with our volume ${ms(f.p50.withVolume)}, without ${ms(f.p50.without)}, added ${ms(f.p50.added)} (target ≤ 100 ms)`,
    `  p95: with our volume ${ms(f.p95.withVolume)}, without ${ms(f.p95.without)}, added ${ms(f.p95.added)}`,
  ].join('\n'));
  mkdirSync(resolve(FIGURE_FILE, '..'), { recursive: true });
  writeFileSync(FIGURE_FILE, JSON.stringify({ measuredAt: new Date().toISOString(), ...f }, null, 2));
}
