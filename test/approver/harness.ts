// Runs the BUILT approver (dist/apps/approver/main.js) as a child process against kube-sim.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { KubeSim } from '../kube-sim';

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

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface ApproverProcess {
  child: ChildProcess;
  logs: LogLine[];
  stderr: string[];
  readinessPort: number;
  metricsPort: number | undefined;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  isReady(): Promise<boolean>;
  metrics(): Promise<string>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const TEST_LEASE_ARGS = [
  '--leader-election-lease-duration=2s',
  '--leader-election-renew-deadline=1500ms',
  '--leader-election-retry-period=200ms',
];

export async function startApprover(sim: KubeSim, args: string[] = []): Promise<ApproverProcess> {
  const kubeconfig = sim.writeKubeconfig(sim.adminToken);
  const child = spawn(
    process.execPath,
    [
      APPROVER_MAIN,
      `--kubeconfig=${kubeconfig}`,
      '--readiness-probe-bind-address=127.0.0.1:0',
      '--metrics-bind-address=127.0.0.1:0',
      '--leader-election-namespace=cert-manager',
      '--issuer-name=spiffe-ca',
      '--issuer-kind=ClusterIssuer',
      ...TEST_LEASE_ARGS,
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } },
  );
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line, unparsed: true });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 20_000) =>
    new Promise<LogLine>((resolveLine, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (found) finish(() => resolveLine(found));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new Error(
                `log line not seen; stderr: ${stderr.join('')}; logs: ${JSON.stringify(logs.slice(-5))}`,
              ),
            ),
          ),
        timeoutMs,
      );
      const finish = (f: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      void exited.then(() => setTimeout(check, 50));
      check();
    });

  // Generous: a loaded CI machine can take seconds just to load the modules.
  const listening = await waitForLog((l) => l.msg === 'approver listening', 60_000);
  const portOf = (address: unknown) =>
    typeof address === 'string' ? Number(address.split(':').pop()) : undefined;
  const readinessPort = portOf(listening.readinessAddress) as number;
  const metricsPort = portOf(listening.metricsAddress);

  return {
    child,
    logs,
    stderr,
    readinessPort,
    metricsPort,
    waitForLog,
    isReady: async () => (await fetch(`http://127.0.0.1:${readinessPort}/readyz`)).status === 200,
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls until `check` yields a value other than undefined. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
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
