// Runs a built app (dist/apps/<name>/main.js) as a child process and collects its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface JsonProcess {
  child: ChildProcess;
  logs: LogLine[];
  stderr: string[];
  /** The "<app> listening" line's fields (addresses, startupMs). */
  listening: LogLine;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function portOf(address: unknown): number | undefined {
  return typeof address === 'string' ? Number(address.split(':').pop()) : undefined;
}

export async function startJsonProcess(
  app: 'approver' | 'csi-driver',
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    readyTimeoutMs?: number;
    echo?: boolean;
    /** Also append every raw stdout line and stderr chunk, prefixed with the app name. */
    logFile?: string;
  } = {},
): Promise<JsonProcess> {
  const main = resolve(ROOT, `dist/apps/${app}/main.js`);
  const child = spawn(process.execPath, [main, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: '', ...opts.env },
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const file = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  // 'close' comes after the last stdio chunk; a failing log file must not take the caller down.
  file?.on('error', () => undefined);
  if (file) child.once('close', () => file.end());
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim() !== '')) {
      if (opts.echo) process.stdout.write(`[${app}] ${line}\n`);
      file?.write(`[${app}] ${line}\n`);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line, unparsed: true });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(chunk);
    file?.write(`[${app} stderr] ${chunk}`);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 10_000) =>
    new Promise<LogLine>((resolveLine, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (found) finish(() => resolveLine(found));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(
        `${app}: log line not seen; stderr: ${stderr.join('')}; last logs: ${JSON.stringify(logs.slice(-5))}`,
      ))), timeoutMs);
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
  const listening = await waitForLog((l) => l.msg === `${app} listening`, opts.readyTimeoutMs ?? 60_000)
    .catch((err: unknown) => {
      // Never leave a half-started app behind for the caller, who has no handle to stop it.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw err;
    });
  return {
    child, logs, stderr, listening, waitForLog, exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
