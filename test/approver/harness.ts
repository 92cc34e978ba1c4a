// Runs the BUILT approver (dist/apps/approver/main.js) as a child process against kube-sim.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { KubeSim } from '../kube-sim';
import { portOf, startJsonProcess, type JsonProcess, type LogLine } from '../support/json-process';

export const ROOT = resolve(__dirname, '../..');
export const APPROVER_MAIN = join(ROOT, 'dist/apps/approver/main.js');
export const CR_PATH = (ns: string, name = '') =>
  `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests${name ? `/${name}` : ''}`;

// Rebuild when dist is missing or older than any approver/lib source. Test files run in
// parallel: the lock makes one build while the others wait and then find it fresh.
const BUILD_IF_STALE = `
  fresh=$(find apps/approver/src libs/*/src -name '*.ts' ! -name '*.spec.ts' -newer dist/apps/approver/main.js 2>/dev/null | head -1)
  if [ ! -f dist/apps/approver/main.js ] || [ -n "$fresh" ]; then npx nest build approver; fi`;

/** Builds the approver when dist is missing or stale (the root `npm test` builds first). */
export function ensureApproverBuilt(): void {
  try {
    execFileSync('flock', ['/tmp/spiffe-csi-approver-build.lock', 'sh', '-c', BUILD_IF_STALE], {
      cwd: ROOT,
      encoding: 'utf8',
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`npx nest build approver failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}

export type { LogLine };

export interface ApproverProcess extends JsonProcess {
  readinessPort: number;
  metricsPort: number | undefined;
  isReady(): Promise<boolean>;
  metrics(): Promise<string>;
}

export const TEST_LEASE_ARGS = [
  '--leader-election-lease-duration=2s',
  '--leader-election-renew-deadline=1500ms',
  '--leader-election-retry-period=200ms',
];

export async function startApprover(sim: KubeSim, args: string[] = []): Promise<ApproverProcess> {
  const kubeconfig = sim.writeKubeconfig(sim.adminToken);
  const proc = await startJsonProcess('approver', [
    `--kubeconfig=${kubeconfig}`,
    '--readiness-probe-bind-address=127.0.0.1:0',
    '--metrics-bind-address=127.0.0.1:0',
    '--leader-election-namespace=cert-manager',
    '--issuer-name=spiffe-ca',
    '--issuer-kind=ClusterIssuer',
    ...TEST_LEASE_ARGS,
    ...args,
  ]);
  const readinessPort = portOf(proc.listening.readinessAddress) as number;
  const metricsPort = portOf(proc.listening.metricsAddress);
  return {
    ...proc,
    readinessPort,
    metricsPort,
    isReady: async () => (await fetch(`http://127.0.0.1:${readinessPort}/readyz`)).status === 200,
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
  };
}

export async function kubeRequest<T = Record<string, unknown>>(
  sim: KubeSim,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}
