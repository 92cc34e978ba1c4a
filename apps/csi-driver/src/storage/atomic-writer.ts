import { chmodSync, lstatSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { chmod, chown, mkdtemp, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UNCHANGED, fsyncDir, tryTo, writeNewFileDurably } from './fs-util';
import { isErrno, storageError } from './storage-error';

export type Payload = Record<string, string | Buffer>;

export interface AtomicWriteOptions {
  /** Group of every file and of the payload dir; omitted → the writer's own group (root). */
  gid?: number;
}

export const DATA_LINK = '..data';
const DATA_TMP_LINK = '..data_tmp';
export const FILE_MODE = 0o440;
const PAYLOAD_DIR_MODE = 0o550;
const PAYLOAD_DIR_PATTERN = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.[A-Za-z0-9]+$/;
const MAX_READ_ATTEMPTS = 5;

/**
 * Kubelet-style atomic writer for one directory. Layout after a write:
 *
 *   ..2025_01_02_03_04_05.Ab12Cd/   the payload (files 0440, dir 0550, group = gid)
 *   ..data -> ..2025_01_02_03_04_05.Ab12Cd
 *   tls.crt -> ..data/tls.crt       one user-visible symlink per payload file
 *
 * The payload is swapped as a set by rename()ing a fresh `..data_tmp` symlink over `..data`.
 * A reader that wants files from ONE payload must resolve `..data` once (readlink) and read every
 * file relative to that directory; opening `tls.key` then `tls.crt` separately can straddle a
 * swap. If the old directory vanishes under such a reader (ENOENT) it simply starts over.
 */
export class AtomicWriter {
  constructor(readonly dir: string) {}

  /**
   * Writes the payload unless it is already current; returns whether anything was written.
   * From the swap on, the syscalls are synchronous (docs/decisions/0012): the directory is on the
   * driver's checked tmpfs, and through libuv's pool the ~20 calls after the swap, which a renewal's
   * Workload API push waits for, queued behind every other volume's work and key generation.
   * Before the swap they stay in the pool, where a burst of writes runs beside the event loop.
   */
  async write(payload: Payload, options: AtomicWriteOptions = {}): Promise<boolean> {
    const names = validatePayloadNames(payload);
    const gid = options.gid ?? process.getgid?.() ?? 0;
    const current = await this.currentPayloadDir();
    if (current && (await this.isIdentical(current, payload, gid))) {
      this.ensureUserLinks(names); // repairs links a previous failed write may have left
      return false;
    }

    const fresh = await this.createPayloadDir(payload, names, gid);
    try {
      rmSync(join(this.dir, DATA_TMP_LINK), { force: true });
      symlinkSync(fresh, join(this.dir, DATA_TMP_LINK));
      renameSync(join(this.dir, DATA_TMP_LINK), join(this.dir, DATA_LINK));
      await fsyncDir(this.dir);
    } catch (err) {
      tryTo(() => rmSync(join(this.dir, DATA_TMP_LINK), { force: true }));
      tryTo(() => removeTree(join(this.dir, fresh)));
      throw storageError(`switching ${this.dir} to the new payload`, err);
    }

    // The new payload is live from here on; what follows only tidies up around it.
    try {
      this.ensureUserLinks(names);
      this.removeStaleUserLinks(new Set(names));
      this.removePayloadDirsExcept(fresh);
    } catch (err) {
      throw storageError(`tidying ${this.dir} after switching payloads`, err);
    }
    return true;
  }

  /** The current payload, read from one resolution of `..data`; {} when nothing was written yet. */
  async read(): Promise<Record<string, Buffer>> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.currentPayloadDir();
      if (!current) return {};
      try {
        const files: Record<string, Buffer> = {};
        for (const name of (await readdir(join(this.dir, current))).sort()) {
          files[name] = await readFile(join(this.dir, current, name));
        }
        return files;
      } catch (err) {
        // A concurrent write removed this payload dir: resolve `..data` again.
        if (!isErrno(err, 'ENOENT') || attempt >= MAX_READ_ATTEMPTS) throw storageError(`reading ${this.dir}`, err);
      }
    }
  }

  /** Name of the directory `..data` points to, undefined before the first write. */
  async currentPayloadDir(): Promise<string | undefined> {
    try {
      return await readlink(join(this.dir, DATA_LINK));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw storageError(`resolving ${join(this.dir, DATA_LINK)}`, err);
    }
  }

  private async createPayloadDir(payload: Payload, names: string[], gid: number): Promise<string> {
    let path: string | undefined;
    let step = `creating a payload directory in ${this.dir}`;
    try {
      path = await mkdtemp(join(this.dir, `..${timestamp(new Date())}.`));
      for (const name of names) {
        step = `writing ${name} in ${this.dir}`;
        await writeNewFileDurably(join(path, name), payload[name], FILE_MODE, gid);
      }
      step = `setting ownership of the payload directory in ${this.dir}`;
      await chown(path, UNCHANGED, gid);
      await chmod(path, PAYLOAD_DIR_MODE);
      await fsyncDir(path);
      return path.slice(this.dir.length + 1);
    } catch (err) {
      if (path) tryTo(() => removeTree(path!));
      throw storageError(step, err);
    }
  }

  private async isIdentical(current: string, payload: Payload, gid: number): Promise<boolean> {
    try {
      const existing = (await readdir(join(this.dir, current))).sort();
      const wanted = Object.keys(payload).sort();
      if (existing.join('\0') !== wanted.join('\0')) return false;
      for (const name of wanted) {
        const file = join(this.dir, current, name);
        const info = await stat(file);
        if (info.gid !== gid || (info.mode & 0o777) !== FILE_MODE) return false;
        if (!(await readFile(file)).equals(Buffer.from(payload[name]))) return false;
      }
      return (await stat(join(this.dir, current))).gid === gid;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false; // dangling ..data: rewrite
      throw err;
    }
  }

  private ensureUserLinks(names: string[]): void {
    for (const name of names) {
      const link = join(this.dir, name);
      const target = `${DATA_LINK}/${name}`;
      if (tryTo(() => readlinkSync(link)) === target) continue;
      // Replace via rename so the name never disappears, even when a stray file sat there.
      const temp = join(this.dir, `..link_tmp.${name}`);
      rmSync(temp, { force: true });
      symlinkSync(target, temp);
      renameSync(temp, link);
    }
  }

  private removeStaleUserLinks(keep: Set<string>): void {
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith('..') || keep.has(name)) continue;
      const link = join(this.dir, name);
      const info = tryTo(() => lstatSync(link));
      // Only our own links: never delete something else that lives in the directory.
      if (info?.isSymbolicLink() && readlinkSync(link) === `${DATA_LINK}/${name}`) unlinkSync(link);
    }
  }

  /** Removes the previous payload plus any left behind by a crash between steps. */
  private removePayloadDirsExcept(keep: string): void {
    for (const name of readdirSync(this.dir)) {
      if (name !== keep && PAYLOAD_DIR_PATTERN.test(name)) removeTree(join(this.dir, name));
    }
  }
}

/** Payload names are plain file names: no paths, nothing hidden (the `..` names are ours). */
export function validatePayloadNames(payload: Payload): string[] {
  const names = Object.keys(payload).sort();
  if (names.length === 0) throw storageError('validating the payload', new Error('payload is empty'));
  for (const name of names) {
    if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name) || name.length > 255) {
      throw storageError('validating the payload', new Error(`invalid file name ${JSON.stringify(name)}`));
    }
  }
  return names;
}

/** Payload dirs are 0550: without CAP_DAC_OVERRIDE their entries cannot be unlinked until u+w. */
function removeTree(path: string): void {
  tryTo(() => chmodSync(path, 0o700));
  rmSync(path, { recursive: true, force: true });
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}`;
}
