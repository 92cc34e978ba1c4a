// After webpack: dist/apps/<app>/main.js (the bundle) becomes app.js, main.js becomes the small
// loader (scripts/build/loader.cjs), and app.js.cache is written by loading the app once with
// --help (which evaluates every module of the bundle, then exits).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** V8 flags each app sets before its bundle is compiled (see apps/csi-driver/src/memory-profile.ts). */
const V8_FLAGS = { approver: [], 'csi-driver': ['--optimize-for-size'] };
const loader = readFileSync(join(ROOT, 'scripts/build/loader.cjs'), 'utf8');

for (const [app, flags] of Object.entries(V8_FLAGS)) {
  const dir = join(ROOT, 'dist/apps', app);
  const main = join(dir, 'main.js');
  // nest build rewrites main.js with the bundle; a main.js that is already the loader is left alone.
  if (!readFileSync(main, 'utf8').includes('SPIFFE_CSI_WRITE_CODE_CACHE')) renameSync(main, join(dir, 'app.js'));
  if (!existsSync(join(dir, 'app.js'))) throw new Error(`${dir}/app.js missing: run nest build first`);
  writeFileSync(main, loader.replace('/* V8_FLAGS */ []', JSON.stringify(flags)));
  rmSync(join(dir, 'app.js.cache'), { force: true });
  execFileSync(process.execPath, [main, '--help'], {
    env: { ...process.env, SPIFFE_CSI_WRITE_CODE_CACHE: '1' },
    stdio: 'ignore',
  });
  if (!existsSync(join(dir, 'app.js.cache'))) throw new Error(`${app}: no code cache written`);
}
