// The bench runs the BUILT apps: rebuild only when a source is newer than the bundles, so a run on
// an up-to-date checkout does not spend its time budget in webpack.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUNDLES = ['dist/apps/approver/main.js', 'dist/apps/csi-driver/main.js'];
const SOURCES = ['apps', 'libs', 'proto'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (!entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(root: string): void {
  const bundles = BUNDLES.map((b) => join(root, b));
  const built = bundles.every(existsSync) ? Math.min(...bundles.map((b) => statSync(b).mtimeMs)) : 0;
  const source = Math.max(...SOURCES.map((s) => newestMtime(join(root, s))));
  if (built > source) return;
  console.error('[bench] sources newer than dist/: npm run build');
  const { status } = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (status !== 0) throw new Error(`npm run build failed (exit ${status})`);
}
