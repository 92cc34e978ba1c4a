// The reference SPIFFE client (test/go-spiffe-client: go-spiffe's workloadapi, built by
// scripts/go-spiffe-client/build.sh from Debian's packages) as the tests run it: located through
// the build script's offline mode (so an edited client is rebuilt from the cached toolchain, and
// a machine without the toolchain gets a reason instead of a network download in the middle of a
// test run), copied where any user can execute it, and run as a given user.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BUILD_SCRIPT = resolve(__dirname, '../../scripts/go-spiffe-client/build.sh');

export type GoClientBinary = { path: string; reason?: undefined } | { path?: undefined; reason: string };

/** The client's binary in the build cache, or why there is none (the build script's own words). */
export function goSpiffeClientBinary(): GoClientBinary {
  const r = spawnSync('bash', [BUILD_SCRIPT, '--offline'], { encoding: 'utf8', timeout: 300_000 });
  if (r.status === 0) return { path: r.stdout.trim() };
  const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop();
  return { reason: `go-spiffe client not available: ${why}` };
}

/** As goSpiffeClientBinary, copied where any user can execute it (~/.cache under /root is not). */
export function locateGoSpiffeClient(): GoClientBinary {
  const built = goSpiffeClientBinary();
  if (!built.path) return built;
  const dir = mkdtempSync(join(tmpdir(), 'go-spiffe-client-'));
  chmodSync(dir, 0o755);
  const path = join(dir, 'go-spiffe-client');
  copyFileSync(built.path, path);
  chmodSync(path, 0o755);
  return { path };
}

/** Whether a tier must run the client: CI builds it before the tests, so there it never skips. */
export const GO_SPIFFE_REQUIRED = process.env.CI === 'true';

/** One JSON line the client printed (see test/go-spiffe-client/main.go). */
export interface GoClientEvent {
  /** 'exit' is added by the node tier's Pod command (code: the client's exit status). */
  event: 'fetch' | 'update' | 'watch-error' | 'log' | 'error' | 'done' | 'exit';
  code?: number;
  /** 'log': go-spiffe's own warnings and errors (test/go-spiffe-client/logger.go). */
  message?: string;
  spiffeId?: string;
  serial?: string;
  notAfter?: string;
  chainLength?: number;
  bundleSize?: number;
  rotated?: boolean;
  updates?: number;
  error?: string;
}

export interface GoClientRun {
  code: number | null;
  events: GoClientEvent[];
  stderr: string;
}

export interface GoClientOptions {
  /** The socket path as the Pod sees it; passed as SPIFFE_ENDPOINT_SOCKET, the documented way. */
  socket: string;
  uid: number;
  gid: number;
  expectId?: string;
  updates?: number;
  timeout?: string;
}

export function runGoSpiffeClient(binary: string, o: GoClientOptions): Promise<GoClientRun> {
  const args = [`-updates=${o.updates ?? 2}`, `-timeout=${o.timeout ?? '40s'}`];
  if (o.expectId) args.push(`-expect-id=${o.expectId}`);
  // A Pod's environment, not ours: only the endpoint, as a container would have it.
  const child = spawn(binary, args, {
    uid: o.uid, gid: o.gid, cwd: '/', env: { SPIFFE_ENDPOINT_SOCKET: `unix://${o.socket}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({
      code, stderr,
      events: stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as GoClientEvent),
    }));
  });
}
