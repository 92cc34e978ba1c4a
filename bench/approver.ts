// Approver figures against kube-sim: start-to-ready, create→decision latency at low load, and
// decisions/s when 1,000 requests are created at once.
import type { KeyAlgorithm } from '@spiffe-csi/crypto';
import { startKubeSim, type KubeSim } from '../test/kube-sim';
import { PlainKubeClient, type WatchEvent } from '../test/kube-sim/kube-client';
import { certificateRequest, driverCsr, spiffeIdOf, TRUST_DOMAIN } from '../test/approver/fixtures';
import { CR_PATH } from '../test/approver/harness';
import { startJsonProcess, type JsonProcess } from '../test/support/json-process';
import { onCleanup } from './lib/cleanup';
import type { Figure } from './lib/figures';
import { freePort, waitForReadyz } from './lib/readiness';
import { mapLimit, median, percentile, round } from './lib/stats';

const BURST = 1_000;
const LOW_LOAD_SAMPLES = 100;
const NAMESPACES = 10;
const STARTS = 3;
const WARM_ROUNDS = 3;

interface Decision { at: number; type: string }
interface RequestBody { metadata: { name: string; namespace: string } }

/** Sees every decision as the API server streams it, stamped with performance.now(). */
class DecisionWatch {
  readonly decisions = new Map<string, Decision>();
  private readonly waiters = new Set<() => void>();
  private readonly watch: { done: Promise<void>; stop(): void };

  constructor(client: PlainKubeClient, resourceVersion: string) {
    this.watch = client.watch('/apis/cert-manager.io/v1/certificaterequests', { resourceVersion }, (e) => this.onEvent(e));
    this.watch.done.catch(() => undefined);
  }

  private onEvent(e: WatchEvent): void {
    const at = performance.now();
    const meta = e.object.metadata as { namespace: string; name: string };
    const conditions = (e.object.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    const decided = conditions.find((c) => (c.type === 'Approved' || c.type === 'Denied') && c.status === 'True');
    const key = `${meta.namespace}/${meta.name}`;
    if (decided && !this.decisions.has(key)) {
      this.decisions.set(key, { at, type: decided.type });
      for (const wake of this.waiters) wake();
    }
  }

  until(condition: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => condition() && finish(resolve);
      const timer = setTimeout(() => finish(() => reject(new Error(`approver: ${this.decisions.size} decisions seen, timed out`))), timeoutMs);
      const finish = (f: () => void) => (clearTimeout(timer), this.waiters.delete(check), f());
      this.waiters.add(check);
      check();
    });
  }

  stop(): void {
    this.watch.stop();
  }
}

/** Valid requests exactly as the driver makes them, one fresh key each, spread over namespaces. */
async function prepareRequests(sim: KubeSim, count: number, prefix: string, algorithm: KeyAlgorithm) {
  const clients = Array.from({ length: NAMESPACES }, (_, i) =>
    new PlainKubeClient({ url: sim.url, token: sim.serviceAccountToken(`bench-${i}`, 'app') }));
  const requests = await mapLimit(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const namespace = `bench-${i % NAMESPACES}`;
    const csrPem = await driverCsr(spiffeIdOf(namespace, 'app'), algorithm);
    return { client: clients[i % NAMESPACES], namespace, body: certificateRequest({ csrPem, namespace, name: `${prefix}-${i}` }) };
  });
  return { requests, close: () => clients.forEach((c) => c.close()) };
}

async function create(r: { client: PlainKubeClient; namespace: string; body: unknown }): Promise<{ key: string; at: number }> {
  const res = await r.client.request<RequestBody>('POST', CR_PATH(r.namespace), r.body);
  if (res.status !== 201) throw new Error(`create failed: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  return { key: `${res.body.metadata.namespace}/${res.body.metadata.name}`, at: performance.now() };
}

async function startApprover(sim: KubeSim, kubeconfig: string, readinessPort: number, algorithm: KeyAlgorithm) {
  return startJsonProcess('approver', [
    `--kubeconfig=${kubeconfig}`, `--trust-domain=${TRUST_DOMAIN}`, '--issuer-name=spiffe-ca', '--issuer-kind=ClusterIssuer',
    `--key-algorithm=${algorithm}`, `--readiness-probe-bind-address=127.0.0.1:${readinessPort}`,
    // Default lease timings: the warm rounds pause the approver for a few seconds (see pausedRound).
    '--metrics-bind-address=127.0.0.1:0', '--leader-election-namespace=cert-manager',
  ]);
}

/** SIGTERM (releases the lease, flushes a --profile), SIGKILL if it has not exited within 5 s. */
async function stopGracefully(process: JsonProcess): Promise<void> {
  const kill = setTimeout(() => process.child.kill('SIGKILL'), 5_000);
  await process.stop('SIGTERM');
  clearTimeout(kill);
}

/** Spawn → /readyz 200, median of a few cold starts (each stopped with SIGTERM, releasing the lease). */
async function startToReady(sim: KubeSim, kubeconfig: string, algorithm: KeyAlgorithm): Promise<{ samples: number[]; approver: JsonProcess }> {
  const samples: number[] = [];
  for (let i = 0; ; i++) {
    const port = await freePort();
    const ready = waitForReadyz(port);
    const t0 = performance.now();
    const approver = await startApprover(sim, kubeconfig, port, algorithm);
    const stopApprover = onCleanup('approver process', () => stopGracefully(approver));
    samples.push((await ready) - t0);
    if (i === STARTS - 1) return { samples, approver };
    await stopApprover();
  }
}

export async function benchApprover(algorithm: KeyAlgorithm): Promise<Figure[]> {
  const sim = await startKubeSim();
  onCleanup('kube-sim (approver)', () => sim.close());
  const kubeconfig = sim.writeKubeconfig(sim.adminToken);
  const figures: Figure[] = [];

  const { samples: starts, approver } = await startToReady(sim, kubeconfig, algorithm);
  figures.push({ section: 'startup', name: 'approver start-to-ready (spawn → /readyz 200), median', value: Math.round(median(starts)),
    unit: 'ms', target: { op: '<=', value: 1_000 }, note: `${STARTS} cold starts: ${starts.map((s) => Math.round(s)).join(', ')} ms` });
  await approver.waitForLog((l) => l.msg === 'became leader; deciding pending requests', 30_000);

  const admin = new PlainKubeClient({ url: sim.url, token: sim.adminToken });
  onCleanup('admin client', () => admin.close());
  const list = await admin.request<{ metadata: { resourceVersion: string } }>('GET', '/apis/cert-manager.io/v1/certificaterequests');
  const watch = new DecisionWatch(admin, list.body.metadata.resourceVersion);
  onCleanup('decision watch', () => watch.stop());

  // Low load: one request at a time, each decided before the next is created.
  const lowLoad = await prepareRequests(sim, LOW_LOAD_SAMPLES + 10, 'low', algorithm);
  const latencies: number[] = [];
  for (const [i, r] of lowLoad.requests.entries()) {
    const created = await create(r);
    await watch.until(() => watch.decisions.has(created.key), 20_000);
    if (i >= 10) latencies.push(watch.decisions.get(created.key)!.at - created.at); // first 10 warm up
  }
  lowLoad.close();
  figures.push(
    { section: 'approver', name: 'create→decision p50, low load', value: round(median(latencies), 1), unit: 'ms',
      target: { op: '<=', value: 20 }, note: `${LOW_LOAD_SAMPLES} sequential; create response → Approved seen on a watch` },
    { section: 'approver', name: 'create→decision p99, low load', value: round(percentile(latencies, 99), 1), unit: 'ms' },
  );

  // Burst: 1,000 valid requests created at once.
  const burst = await prepareRequests(sim, BURST, 'burst', algorithm);
  const t0 = performance.now();
  const created = await Promise.all(burst.requests.map(create));
  const createdBy = performance.now();
  await watch.until(() => created.every((c) => watch.decisions.has(c.key)), 120_000);
  burst.close();
  const decided = created.map((c) => watch.decisions.get(c.key)!);
  const last = Math.max(...decided.map((d) => d.at));
  const denied = decided.filter((d) => d.type !== 'Approved').length;
  const burstLatency = created.map((c) => watch.decisions.get(c.key)!.at - c.at);
  figures.push({ section: 'approver', name: `decisions/s, ${BURST} requests created at once (incl. creation)`, value: Math.round(BURST / ((last - t0) / 1000)),
    unit: '/s',
    note: `all decided in ${Math.round(last - t0)} ms, of which the simulator took ${Math.round(createdBy - t0)} ms to accept the creates on the same 2 cores; ${denied} denied; create→decision p50 ${Math.round(median(burstLatency))} / p99 ${Math.round(percentile(burstLatency, 99))} ms` });
  if (denied > 0) throw new Error(`${denied} valid requests were denied`);

  const rounds: number[] = [];
  for (let round = 0; round < WARM_ROUNDS; round++) rounds.push(await pausedRound(sim, approver, watch, algorithm, `warm${round}`));
  figures.push({ section: 'approver', name: `decisions/s, ${BURST} requests created at once, running approver`, value: Math.round(median(rounds)),
    unit: '/s', target: { op: '>=', value: 300 },
    note: `median of ${WARM_ROUNDS} rounds (${rounds.map(Math.round).join(', ')}/s); approver paused while the simulator accepts the creates, timed from its resume to the last decision seen` });
  figures.push(await backlogThroughput(sim, kubeconfig, approver, watch, algorithm));
  return figures;
}

/**
 * The running approver's own decision rate. The simulator shares the 2 cores, and accepting
 * 1,000 creates costs it about as much CPU as the approver spends deciding them, so the approver
 * is paused (SIGSTOP) while they are created and timed from its resume (SIGCONT): its watch
 * then delivers all 1,000 at once, exactly as if they had been created in that instant.
 */
async function pausedRound(sim: KubeSim, approver: JsonProcess, watch: DecisionWatch, algorithm: KeyAlgorithm, prefix: string): Promise<number> {
  const batch = await prepareRequests(sim, BURST, prefix, algorithm);
  approver.child.kill('SIGSTOP');
  let created: { key: string }[];
  try {
    created = await mapLimit(batch.requests, 16, create);
  } finally {
    approver.child.kill('SIGCONT');
  }
  const t0 = performance.now();
  batch.close();
  await watch.until(() => created.every((c) => watch.decisions.has(c.key)), 120_000);
  const last = Math.max(...created.map((c) => watch.decisions.get(c.key)!.at));
  return BURST / ((last - t0) / 1000);
}

/**
 * The approver's own decision rate: 1,000 requests created while no approver runs, then one
 * starts and decides them all. The simulator's create cost is out of the measured window.
 */
async function backlogThroughput(sim: KubeSim, kubeconfig: string, running: JsonProcess, watch: DecisionWatch,
  algorithm: KeyAlgorithm): Promise<Figure> {
  await stopGracefully(running);
  const backlog = await prepareRequests(sim, BURST, 'backlog', algorithm);
  const created = await mapLimit(backlog.requests, 16, create);
  backlog.close();
  const approver = await startApprover(sim, kubeconfig, await freePort(), algorithm);
  onCleanup('approver process (backlog)', () => stopGracefully(approver));
  const leading = await approver.waitForLog((l) => l.msg === 'became leader; deciding pending requests', 30_000);
  const t0 = performance.now() - (Date.now() - Number(leading.time));
  await watch.until(() => created.every((c) => watch.decisions.has(c.key)), 120_000);
  const last = Math.max(...created.map((c) => watch.decisions.get(c.key)!.at));
  return { section: 'approver', name: `decisions/s, ${BURST} requests pending when a fresh approver starts`,
    value: Math.round(BURST / ((last - t0) / 1000)), unit: '/s',
    note: `from "became leader" to the last decision seen: ${Math.round(last - t0)} ms; includes the new process's JIT warm-up` };
}
