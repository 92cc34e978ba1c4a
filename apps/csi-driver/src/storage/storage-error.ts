/** A storage failure whose message says what failed, in words an operator can act on. */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on the driver's tmpfs data root",
  EDQUOT: "disk quota exceeded on the driver's tmpfs data root",
  EROFS: 'the data root is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
};

/** Wraps a Node fs error as "<action>: <reason> (<path>)" keeping the errno code and the cause. */
export function storageError(action: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const e = err as NodeJS.ErrnoException;
  const reason = (e.code && REASONS[e.code]) ?? e.message ?? String(err);
  const where = e.path ? ` (${e.path})` : '';
  return new StorageError(`${action}: ${reason}${where}`, e.code, { cause: err });
}

export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}
