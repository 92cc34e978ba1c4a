// Builds the apps when dist is missing or older than any source it is built from.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OUTPUTS = ['dist/apps/approver/main.js', 'dist/apps/csi-driver/main.js', 'dist/apps/csi-driver/proto/csi.proto'];
const SOURCES = ['apps', 'libs', 'proto'];

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (/\.(ts|proto|json)$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name)) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** Why a build is needed, or undefined when dist is fresh. */
export function buildReason(root: string): string | undefined {
  const missing = OUTPUTS.find((o) => !existsSync(join(root, o)));
  if (missing) return `${missing} is missing`;
  const builtAt = Math.min(...OUTPUTS.map((o) => statSync(join(root, o)).mtimeMs));
  const newest = Math.max(...SOURCES.map((d) => newestSourceMs(join(root, d))));
  return newest > builtAt ? 'sources changed since the last build' : undefined;
}

/** `npm run build`, output to `logFile`; a lock keeps parallel builds (tests, other demos) apart. */
export function runBuild(root: string, logFile: string): Promise<void> {
  const command = `npm run --silent build >> '${logFile}' 2>&1`;
  const hasFlock = existsSync('/usr/bin/flock') || existsSync('/bin/flock');
  const [cmd, args] = hasFlock
    ? ['flock', ['/tmp/spiffe-csi-build.lock', 'sh', '-c', command]]
    : ['sh', ['-c', command]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (exit ${code})`))));
  });
}
