// The built entry point (scripts/build/loader.cjs → dist/apps/<app>/main.js) runs the bundle with
// or without its V8 code cache: a missing or corrupt cache changes nothing but speed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dist = resolve(__dirname, '../../dist/apps/approver');
const dir = mkdtempSync(join(tmpdir(), 'loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const help = (env: NodeJS.ProcessEnv = {}) =>
  execFileSync(process.execPath, [join(dir, 'main.js'), '--help'], { env: { ...process.env, ...env }, encoding: 'utf8' });

describe('built entry point with V8 code cache', () => {
  for (const file of ['main.js', 'app.js', 'app.js.cache']) copyFileSync(join(dist, file), join(dir, file));
  const expected = execFileSync(process.execPath, [join(dist, 'app.js'), '--help'], { encoding: 'utf8' });

  it('runs the bundle exactly as running it directly, with the cache, without it, and with a corrupt one', () => {
    expect(expected).toMatch(/--trust-domain/);
    expect(help()).toBe(expected);
    writeFileSync(join(dir, 'app.js.cache'), 'not a code cache');
    expect(help()).toBe(expected);
    rmSync(join(dir, 'app.js.cache'));
    expect(help()).toBe(expected);
  });

  it('writes the cache only when asked', () => {
    rmSync(join(dir, 'app.js.cache'), { force: true });
    help();
    expect(existsSync(join(dir, 'app.js.cache'))).toBe(false);
    help({ SPIFFE_CSI_WRITE_CODE_CACHE: '1' });
    expect(existsSync(join(dir, 'app.js.cache'))).toBe(true);
  });
});
