import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaBundleWatcher } from './ca-bundle-watcher';

/** Lays out a directory the way kubelet projects a Secret: ca.crt → ..data/ca.crt → ..<ts>/ca.crt. */
function projectSecret(dir: string, generation: number, contents: string): void {
  const payload = join(dir, `..gen_${generation}`);
  mkdirSync(payload);
  writeFileSync(join(payload, 'ca.crt'), contents);
  symlinkSync(`..gen_${generation}`, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  if (generation === 1) symlinkSync('..data/ca.crt', join(dir, 'ca.crt'));
  else rmSync(join(dir, `..gen_${generation - 1}`), { recursive: true });
}

function nextChange(watcher: CaBundleWatcher): Promise<string> {
  return new Promise((resolve) => {
    const off = watcher.onChange((b) => {
      off();
      resolve(b.toString());
    });
  });
}

describe('CaBundleWatcher', () => {
  let dir: string;
  let watcher: CaBundleWatcher | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ca-bundle-'));
  });
  afterEach(() => {
    watcher?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start when the file is missing, naming the flag', async () => {
    watcher = new CaBundleWatcher({ path: join(dir, 'nope.crt') });
    await expect(watcher.start()).rejects.toThrow(/--source-ca-bundle: cannot read .*ENOENT/);
  });

  it('refuses an empty bundle', async () => {
    writeFileSync(join(dir, 'ca.crt'), '');
    watcher = new CaBundleWatcher({ path: join(dir, 'ca.crt') });
    await expect(watcher.start()).rejects.toThrow(/is empty/);
  });

  it('sees a Kubernetes ..data symlink swap and broadcasts the new bytes once', async () => {
    projectSecret(dir, 1, 'CA-ONE');
    watcher = new CaBundleWatcher({ path: join(dir, 'ca.crt') });
    await watcher.start();
    expect(watcher.current()?.toString()).toBe('CA-ONE');
    const seen: string[] = [];
    watcher.onChange((b) => seen.push(b.toString()));
    const changed = nextChange(watcher);
    projectSecret(dir, 2, 'CA-TWO');
    expect(await changed).toBe('CA-TWO');
    expect(watcher.current()?.toString()).toBe('CA-TWO');
    await watcher.reload();
    expect(seen).toEqual(['CA-TWO']);
  });

  it('sees an in-place write of a plain file', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'A');
    watcher = new CaBundleWatcher({ path: join(dir, 'ca.crt') });
    await watcher.start();
    const changed = nextChange(watcher);
    writeFileSync(join(dir, 'ca.crt'), 'B');
    expect(await changed).toBe('B');
  });

  it('does not broadcast when the bytes did not change', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'SAME');
    watcher = new CaBundleWatcher({ path: join(dir, 'ca.crt') });
    await watcher.start();
    let events = 0;
    watcher.onChange(() => events++);
    writeFileSync(join(dir, 'ca.crt'), 'SAME');
    await watcher.reload();
    expect(events).toBe(0);
  });
});
