// Runs the demo exactly as a user does (tsx entry, real built apps) and checks what it prints and
// that it leaves no process, mount or temp file behind — also when interrupted.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const IS_ROOT = process.getuid?.() === 0;
// Generous: the demo builds the apps first when dist is stale (minutes on a loaded machine).
const DEMO_TIMEOUT_MS = 600_000;

interface DemoRun { code: number | null; signal: NodeJS.Signals | null; out: string; pid: number }

function runDemo(args: string[] = [], interruptWhen?: (out: string) => boolean): Promise<DemoRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo/main.ts', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let interrupted = false;
  const collect = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (interruptWhen && !interrupted && interruptWhen(out)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((done) => child.once('close', (code, signal) => done({ code, signal, out, pid: child.pid! })));
}

/** The value of an aligned "key: value" line. */
function valueOf(out: string, key: string): string | undefined {
  return new RegExp(`^\\s+${key}:\\s+(.*)$`, 'm').exec(out)?.[1].trim();
}

function leftovers(run: DemoRun): { workDir: boolean; mounts: string[]; logFile: boolean } {
  const workDir = valueOf(run.out, 'work dir');
  expect(workDir, run.out).toMatch(/^\/.+spiffe-e2e-/);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((p): p is string => !!p && p.startsWith(workDir!));
  return {
    workDir: existsSync(workDir!),
    mounts,
    logFile: existsSync(join(tmpdir(), `spiffe-csi-demo-${run.pid}.log`)),
  };
}

const NOTHING_LEFT = { workDir: false, mounts: [], logFile: false };

describe('npm run demo', () => {
  it.skipIf(!IS_ROOT)('issues, renews (files and a Workload API push), denies the intruder, rejects a writable volume, exits 0 and cleans up', async () => {
    const run = await runDemo();
    expect(run.code, run.out).toBe(0);
    expect(valueOf(run.out, 'SPIFFE ID')).toBe('spiffe://example.org/ns/sandbox/sa/example-app');
    expect(valueOf(run.out, 'key type')).toBe('ECDSA P-521');
    expect(valueOf(run.out, 'openssl verify')).toBe('tls.crt: OK');
    expect(run.out).toMatch(/-r--r-----\s+uid 0\s+gid 2000\s+\d+ B\s+tls\.key/);
    expect(valueOf(run.out, 'mount')).toMatch(/read-only bind mount/);

    expect(run.out).toMatch(/^== Renewal/m);
    const oldSerial = valueOf(run.out, 'old serial')?.split(' ')[0];
    const newSerial = valueOf(run.out, 'new serial')?.split(' ')[0];
    expect(oldSerial).toMatch(/^[0-9a-f]+$/);
    expect(newSerial).toMatch(/^[0-9a-f]+$/);
    expect(newSerial).not.toBe(oldSerial);
    expect(valueOf(run.out, 'new key')).toMatch(/^yes/);
    // The same renewal seen through the volume's Workload API: fetched on connect, then pushed.
    expect(valueOf(run.out, 'Workload API fetch')).toMatch(/^spiffe:\/\/example\.org\/ns\/sandbox\/sa\/short-lived\s+serial [0-9a-f]+, bundle of 1 CA$/);
    expect(valueOf(run.out, 'Workload API fetch')).toContain(`serial ${oldSerial},`);
    expect(valueOf(run.out, 'Workload API push')?.split(' ')[0]).toBe(newSerial);
    expect(valueOf(run.out, 'same as tls.crt')).toBe('yes');

    expect(valueOf(run.out, 'decision')).toMatch(/^Denied/);
    expect(valueOf(run.out, 'message')).toMatch(/Denied request: SPIFFE ID .*sa\/example-app.* does not match the requester/);
    expect(valueOf(run.out, 'result')).toBe('INVALID_ARGUMENT (gRPC code 3)');
    expect(run.out).not.toMatch(/"level":/); // no raw JSON app logs
    expect(leftovers(run)).toEqual(NOTHING_LEFT);
  }, DEMO_TIMEOUT_MS);

  it('without the driver (as a non-root user gets it): approves the own identity, denies the intruder', async () => {
    const run = await runDemo(['--approver-only']);
    expect(run.code, run.out).toBe(0);
    expect(valueOf(run.out, 'SPIFFE ID')).toBe('spiffe://example.org/ns/sandbox/sa/example-app');
    expect(valueOf(run.out, 'approval')).toMatch(/^Approved=True/);
    expect(valueOf(run.out, 'openssl verify')).toBe('tls.crt: OK');
    expect(valueOf(run.out, 'decision')).toMatch(/^Denied/);
    expect(leftovers(run)).toEqual(NOTHING_LEFT);
  }, DEMO_TIMEOUT_MS);

  it.skipIf(!IS_ROOT)('Ctrl-C with a volume mounted stops everything and removes mounts and temp files', async () => {
    const run = await runDemo([], (out) => /^== The request behind it/m.test(out));
    expect(run.code, run.out).toBe(130);
    expect(run.out).toMatch(/SIGINT: stopping the apps/);
    expect(leftovers(run)).toEqual(NOTHING_LEFT);
  }, DEMO_TIMEOUT_MS);
});
