import { lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicWriter, DATA_LINK } from './atomic-writer';
import { LinuxMounter } from './mounter';
import { StorageError } from './storage-error';
import { ROOT_ONLY, MountSandbox, isRoot } from './testing/mount-sandbox';

const PAYLOAD_DIR = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.[A-Za-z0-9]+$/;
const GID = 1541;

async function payloadDirs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => PAYLOAD_DIR.test(n));
}

// On a tmpfs, like the driver's data root (and fsync is cheap there).
describe.skipIf(!isRoot)(`AtomicWriter (${ROOT_ONLY})`, () => {
  let box: MountSandbox;
  let dir: string;
  beforeEach(async () => {
    box = await MountSandbox.create();
    dir = box.path('data');
    await new LinuxMounter().mountTmpfs(dir, { size: '8m' });
  });
  afterEach(async () => {
    await box.cleanup();
  });

  it('lays out a timestamped payload dir, ..data and user-visible symlinks with 0440 files of the given group', async () => {
    const old = process.umask(0o077); // the modes must not depend on the umask
    try {
      expect(await new AtomicWriter(dir).write({ 'tls.crt': 'crt', 'tls.key': 'key' }, { gid: GID })).toBe(true);
    } finally {
      process.umask(old);
    }
    const [payload] = await payloadDirs(dir);
    expect(await readlink(join(dir, DATA_LINK))).toBe(payload);
    expect((await readdir(dir)).sort()).toEqual([DATA_LINK, payload, 'tls.crt', 'tls.key'].sort());
    for (const name of ['tls.crt', 'tls.key']) {
      expect((await lstat(join(dir, name))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(dir, name))).toBe(`${DATA_LINK}/${name}`);
      const file = await stat(join(dir, name));
      expect(file.mode & 0o777).toBe(0o440);
      expect(file.gid).toBe(GID);
    }
    const payloadStat = await stat(join(dir, payload));
    expect([payloadStat.mode & 0o777, payloadStat.gid]).toEqual([0o550, GID]);
    expect(await readFile(join(dir, 'tls.key'), 'utf8')).toBe('key');
  });

  it('without a gid keeps root as group', async () => {
    await new AtomicWriter(dir).write({ 'tls.key': 'k' });
    expect((await stat(join(dir, 'tls.key'))).gid).toBe(0);
  });

  it('does not rewrite an identical payload, but does when content or group changes', async () => {
    const writer = new AtomicWriter(dir);
    await writer.write({ 'tls.crt': 'a', 'tls.key': Buffer.from('k') }, { gid: GID });
    const first = await writer.currentPayloadDir();
    expect(await writer.write({ 'tls.key': 'k', 'tls.crt': Buffer.from('a') }, { gid: GID })).toBe(false);
    expect(await writer.currentPayloadDir()).toBe(first);
    expect(await writer.write({ 'tls.crt': 'a', 'tls.key': 'k' }, { gid: GID + 1 })).toBe(true);
    expect(await writer.write({ 'tls.crt': 'b', 'tls.key': 'k' }, { gid: GID + 1 })).toBe(true);
    expect(await payloadDirs(dir)).toEqual([await writer.currentPayloadDir()]);
    expect(await writer.read()).toEqual({ 'tls.crt': Buffer.from('b'), 'tls.key': Buffer.from('k') });
  });

  it('drops symlinks of files no longer in the payload and leaves foreign entries alone', async () => {
    const writer = new AtomicWriter(dir);
    await writer.write({ 'tls.crt': 'c', 'tls.key': 'k', 'ca.crt': 'ca' });
    await writeFile(join(dir, 'foreign'), 'not ours');
    await writer.write({ 'tls.crt': 'c2', 'tls.key': 'k2' });
    expect((await readdir(dir)).filter((n) => !n.startsWith('..')).sort()).toEqual(['foreign', 'tls.crt', 'tls.key']);
  });

  it('removes payload dirs left behind by a crash on the next write', async () => {
    const writer = new AtomicWriter(dir);
    await writer.write({ 'tls.key': 'k' });
    await mkdir(join(dir, '..2020_01_01_00_00_00.crash1'));
    await writer.write({ 'tls.key': 'k2' });
    expect(await payloadDirs(dir)).toEqual([await writer.currentPayloadDir()]);
  });

  it('reads {} before the first write and refuses empty or path-like payloads', async () => {
    const writer = new AtomicWriter(dir);
    expect(await writer.read()).toEqual({});
    await expect(writer.write({})).rejects.toThrow(/payload is empty/);
    await expect(writer.write({ '../x': 'y' })).rejects.toThrow(/invalid file name/);
    await expect(writer.write({ '..data': 'y' })).rejects.toThrow(/invalid file name/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a reader that resolves ..data once never sees key and cert from different payloads across 200 rewrites', async () => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    // A real thread with synchronous reads, so it truly races the writer.
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const fs = require('node:fs'); const path = require('node:path');
       const stop = new Int32Array(workerData.stop); let reads = 0, mixed = 0, retries = 0;
       while (Atomics.load(stop, 0) === 0) {
         try {
           const current = path.join(workerData.dir, fs.readlinkSync(path.join(workerData.dir, '..data')));
           const key = fs.readFileSync(path.join(current, 'tls.key'), 'utf8');
           const crt = fs.readFileSync(path.join(current, 'tls.crt'), 'utf8');
           if (key.split(':')[1] !== crt.split(':')[1]) mixed++;
           reads++;
         } catch (e) { if (e.code !== 'ENOENT') throw e; retries++; }
       }
       parentPort.postMessage({ reads, mixed, retries });`,
      { eval: true, workerData: { dir, stop: stop.buffer } },
    );
    const result = new Promise<{ reads: number; mixed: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const writer = new AtomicWriter(dir);
    await writer.write({ 'tls.key': 'key:0', 'tls.crt': 'crt:0' });
    for (let i = 1; i <= 200; i++) {
      await writer.write({ 'tls.key': `key:${i}:${'k'.repeat(i * 37)}`, 'tls.crt': `crt:${i}:${'c'.repeat(i * 53)}` });
    }
    Atomics.store(stop, 0, 1);
    const { reads, mixed } = await result;
    await worker.terminate();
    expect(reads).toBeGreaterThan(0);
    expect(mixed).toBe(0);
    expect((await writer.read())['tls.key'].toString()).toMatch(/^key:200:/);
  });
});

describe('AtomicWriter on a full tmpfs', () => {
  let box: MountSandbox;
  beforeEach(async () => {
    box = await MountSandbox.create();
  });
  afterEach(async () => {
    await box.cleanup();
  });

  it.skipIf(!isRoot)(`ENOSPC keeps the old payload intact, leaves no half-written dir and says why (${ROOT_ONLY})`, async () => {
    const dir = box.path('tiny');
    await new LinuxMounter().mountTmpfs(dir, { size: '64k' });
    const writer = new AtomicWriter(dir);
    await writer.write({ 'tls.crt': 'old-crt', 'tls.key': 'old-key' });
    const before = await writer.currentPayloadDir();

    const error = await writer
      .write({ 'tls.crt': Buffer.alloc(40 * 1024, 'c'), 'tls.key': Buffer.alloc(40 * 1024, 'k') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('ENOSPC');
    expect((error as Error).message).toMatch(/^writing tls\.(crt|key) in .*: no space left on the driver's tmpfs data root/);

    expect(await writer.currentPayloadDir()).toBe(before);
    expect(await payloadDirs(dir)).toEqual([before]);
    expect((await readdir(dir)).filter((n) => n.includes('tmp'))).toEqual([]);
    expect(await readFile(join(dir, 'tls.crt'), 'utf8')).toBe('old-crt');
    expect(await readFile(join(dir, 'tls.key'), 'utf8')).toBe('old-key');
    // and the space came back: a normal write still works
    expect(await writer.write({ 'tls.crt': 'new-crt', 'tls.key': 'new-key' })).toBe(true);
  });
});
