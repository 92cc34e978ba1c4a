import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileMetadataStore } from './metadata-store';
import { LinuxMounter } from './mounter';
import { FileSvidStore } from './svid-files';
import { InMemorySvidFiles } from './testing/in-memory-svid-files';
import { ROOT_ONLY, MountSandbox, isRoot } from './testing/mount-sandbox';

const FILES = { 'tls.crt': 'chain', 'tls.key': 'key', 'ca.crt': 'bundle' };

describe.skipIf(!isRoot)(`FileSvidStore (${ROOT_ONLY})`, () => {
  let box: MountSandbox;
  let root: string;
  beforeEach(async () => {
    box = await MountSandbox.create();
    root = box.path('root');
    await new LinuxMounter().mountTmpfs(root, { size: '4m' });
  });
  afterEach(async () => {
    await box.cleanup();
  });

  it('writes <root>/<id>/data/ as 0550 with the fs group, and reads the set back', async () => {
    const store = new FileSvidStore(root);
    await store.write('csi-1', FILES, 1541);
    const data = await stat(join(root, 'csi-1', 'data'));
    expect([data.mode & 0o777, data.gid]).toEqual([0o550, 1541]);
    expect((await stat(join(root, 'csi-1'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, 'csi-1', 'data', 'tls.key'))).gid).toBe(1541);
    const read = await store.read('csi-1');
    expect(Object.fromEntries(Object.entries(read).map(([k, v]) => [k, v.toString()]))).toEqual(FILES);
  });

  it('moves the data dir back to root when the fs group goes away', async () => {
    const store = new FileSvidStore(root);
    await store.write('csi-1', FILES, 1541);
    await store.write('csi-1', FILES);
    expect((await stat(join(root, 'csi-1', 'data'))).gid).toBe(0);
    expect((await stat(join(root, 'csi-1', 'data', 'tls.crt'))).gid).toBe(0);
  });

  it('sits next to metadata.json and goes away with the volume', async () => {
    const store = new FileSvidStore(root);
    const metadata = new FileMetadataStore(root);
    await metadata.write({ volumeId: 'csi-1', targetPath: '/t', volumeContext: {} });
    await store.write('csi-1', FILES);
    expect((await readdir(join(root, 'csi-1'))).sort()).toEqual(['data', 'metadata.json']);
    await metadata.remove('csi-1');
    expect(await store.read('csi-1')).toEqual({});
  });
});

describe('FileSvidStore input checks', () => {
  it('refuses bad groups and path-like volume IDs before touching the disk', async () => {
    const store = new FileSvidStore('/nonexistent-data-root');
    await expect(store.write('v', FILES, -1)).rejects.toThrow(/invalid fs group/);
    await expect(store.write('v', FILES, 4294967295)).rejects.toThrow(/invalid fs group/);
    await expect(store.write('v', FILES, 1.5)).rejects.toThrow(/invalid fs group/);
    await expect(store.write('a/b', FILES)).rejects.toThrow(/invalid volume ID/);
    expect(await store.read('missing')).toEqual({});
  });
});

describe('InMemorySvidFiles', () => {
  it('stores copies, skips identical rewrites and applies the same name rules', async () => {
    const files = new InMemorySvidFiles();
    await files.write('v', FILES, 1541);
    await files.write('v', { ...FILES }, 1541);
    expect(files.writes).toBe(1);
    await files.write('v', FILES);
    expect([files.writes, files.gidOf('v')]).toEqual([2, undefined]);
    const read = await files.read('v');
    read['tls.key'].fill(0);
    expect((await files.read('v'))['tls.key'].toString()).toBe('key');
    await expect(files.write('v', { '..data': 'x' })).rejects.toThrow(/invalid file name/);
    await expect(files.write('..', FILES)).rejects.toThrow(/invalid volume ID/);
  });
});

describe.skipIf(!isRoot)(`FileSvidStore concurrent writes (${ROOT_ONLY})`, () => {
  let box: MountSandbox;
  beforeEach(async () => {
    box = await MountSandbox.create();
  });
  afterEach(async () => {
    await box.cleanup();
  });

  it('serialises overlapping writes of one volume: the last one wins, one payload dir remains', async () => {
    const root = box.path('root');
    await new LinuxMounter().mountTmpfs(root, { size: '4m' });
    const store = new FileSvidStore(root);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.write('v', { 'tls.key': `k${i}`, 'tls.crt': `c${i}` })));
    expect((await store.read('v'))['tls.key'].toString()).toBe('k19');
    const dirs = (await readdir(join(root, 'v', 'data'))).filter((n) => /^\.\.\d{4}_/.test(n));
    expect(dirs).toHaveLength(1);
  });
});
