import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE, loadOptionsOrExit, ProcessIo } from './load-options';
import { DriverOptions } from './options';

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function fakeProcess(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const io: ProcessIo = {
    env,
    stdout: (text) => void (out.stdout += text),
    stderr: (text) => void (out.stderr += text),
    exit: (code) => {
      throw new Exited(code);
    },
  };
  return { io, out };
}

function exitCodeOf(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    if (error instanceof Exited) return error.code;
    throw error;
  }
  throw new Error('expected the process to exit');
}

describe('loadOptionsOrExit (in process)', () => {
  it('returns the parsed options', () => {
    const { io } = fakeProcess({ SPIFFE_CSI_NODE_ID: 'n1' });
    const options = loadOptionsOrExit('csi-driver', ['--endpoint=unix:///csi.sock'], io);
    expect(options).toBeInstanceOf(DriverOptions);
    expect(options.nodeId).toBe('n1');
  });

  it('prints usage to stdout and exits 0 on --help', () => {
    const { io, out } = fakeProcess();
    expect(exitCodeOf(() => loadOptionsOrExit('approver', ['--help'], io))).toBe(0);
    expect(out.stdout).toContain('Usage: approver');
    expect(out.stderr).toBe('');
  });

  it('prints one error line to stderr and exits 2 on a bad value', () => {
    const { io, out } = fakeProcess();
    expect(exitCodeOf(() => loadOptionsOrExit('approver', ['--log-level=99'], io))).toBe(
      EXIT_USAGE,
    );
    expect(out.stderr).toBe('error: --log-level: must be an integer from 0 to 10\n');
    expect(out.stdout).toBe('');
  });

  it('keeps the error on one line even when the input has a newline', () => {
    const { io, out } = fakeProcess();
    exitCodeOf(() => loadOptionsOrExit('approver', ['line1\nline2'], io));
    expect(out.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

// The four runs start together in beforeAll: each tsx start-up costs about a second of CPU.
describe('loadOptionsOrExit (real process)', () => {
  const fixture = resolve(__dirname, '../test-fixtures/load-options-main.ts');
  const tsx = resolve(__dirname, '../../../node_modules/.bin/tsx');
  const scenarios = {
    badValue: {
      args: [
        'csi-driver',
        '--node-id=n1',
        '--endpoint=unix:///csi.sock',
        '--file-name-key=tls.crt',
      ],
    },
    unknownFlag: { args: ['approver', '--bogus'] },
    help: { args: ['csi-driver', '-h'] },
    fromEnv: { args: ['approver', '-v', '2'], env: { SPIFFE_CSI_TRUST_DOMAIN: 'env.example.org' } },
  };
  const results: Partial<Record<keyof typeof scenarios, RunResult>> = {};

  beforeAll(async () => {
    await Promise.all(
      Object.entries(scenarios).map(
        async ([name, { args, env }]: [string, { args: string[]; env?: object }]) => {
          results[name as keyof typeof scenarios] = await runProcess(tsx, [fixture, ...args], {
            PATH: process.env.PATH,
            ...env,
          });
        },
      ),
    );
  });

  it('exits 2 with exactly one stderr line for a bad flag', () => {
    expect(results.badValue).toEqual({
      status: 2,
      stdout: '',
      stderr: 'error: --file-name-key: must differ from --file-name-certificate ("tls.crt")\n',
    });
  });

  it('exits 2 naming an unknown flag', () => {
    expect(results.unknownFlag).toEqual({
      status: 2,
      stdout: '',
      stderr: 'error: --bogus: unknown flag\n',
    });
  });

  it('exits 0 with usage on --help', () => {
    expect(results.help?.status).toBe(0);
    expect(results.help?.stdout).toContain('--extra-certificate-request-annotations');
    expect(results.help?.stderr).toBe('');
  });

  it('starts with flags from the environment', () => {
    expect(results.fromEnv?.status).toBe(0);
    expect(JSON.parse(results.fromEnv?.stdout ?? '')).toMatchObject({
      trustDomain: 'env.example.org',
      logLevel: 2,
    });
  });
});

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, timeout: 25_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}
