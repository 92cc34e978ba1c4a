import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, writeFileSync } from 'node:fs';

/** -1 leaves the owner unchanged in chown(2). */
export const UNCHANGED = -1;

// Both helpers below make their syscalls synchronously, on purpose. They only ever touch the data
// root, which the callers have just checked is the driver's tmpfs: memory, no device to wait on, so
// each call returns in microseconds. Through libuv's pool every one of them (a file write is six)
// cost a thread hand-off worth more than the syscall; a publish writes six files and fsyncs three
// dirs, and those hand-offs were a measurable share of its CPU (docs/decisions/0012).

/**
 * Creates `path` exclusively with exactly `mode` (fchmod after open, so the umask cannot widen or
 * narrow it), optional group, and flushes it to the filesystem before returning.
 */
export async function writeNewFileDurably(path: string, data: string | Buffer, mode: number, gid?: number): Promise<void> {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeFileSync(fd, data);
    fchmodSync(fd, mode);
    if (gid !== undefined) fchownSync(fd, UNCHANGED, gid);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename/unlink inside `dir` durable. Best effort: some filesystems refuse fsync on dirs. */
export async function fsyncDir(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // tmpfs accepts it; on filesystems that do not, durability is the kernel's business.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `run()`'s result, or undefined when it threw: for clean-up steps whose failure changes nothing. */
export function tryTo<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}
