import { open } from 'node:fs/promises';

/** -1 leaves the owner unchanged in chown(2). */
export const UNCHANGED = -1;

/**
 * Creates `path` exclusively with exactly `mode` (fchmod after open, so the umask cannot widen or
 * narrow it), optional group, and flushes it to the filesystem before returning.
 */
export async function writeNewFileDurably(path: string, data: string | Buffer, mode: number, gid?: number): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    if (gid !== undefined) await handle.chown(UNCHANGED, gid);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename/unlink inside `dir` durable. Best effort: some filesystems refuse fsync on dirs. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // tmpfs accepts it; on filesystems that do not, durability is the kernel's business.
  } finally {
    await handle?.close();
  }
}
