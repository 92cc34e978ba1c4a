import { chmod, chown, mkdtemp, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** sun_path is 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Exactly as reachable as tls.key: same group (the volume's fs-group), and connect(2) needs write
 * permission where reading a file needs read, so group rw; nobody else. The data directory (0550,
 * same group) already keeps everyone else out; this keeps it so if that ever changes.
 */
export const SOCKET_MODE = 0o660;

let shortDir: Promise<string> | undefined;
let nextLink = 0;

/**
 * Binds a unix socket at `socketPath` whatever its length. A kubelet target path plus
 * `/workload.sock` is already ~111 bytes and our data dir is longer, over sun_path's 108, so the
 * bind goes through a short symlink to the socket's directory (a private 0700 dir in the temp
 * dir): bind(2) resolves the directory part through the link and creates the socket where it
 * belongs, in one step. Link names are never reused, because the server unlinks the path it bound
 * when it closes: that path is then a dangling link name, never another volume's socket.
 */
export async function bindThroughShortPath<T>(socketPath: string, bind: (shortPath: string) => Promise<T>): Promise<T> {
  const link = join(await privateShortDir(), String(nextLink++));
  const shortPath = join(link, basename(socketPath));
  if (Buffer.byteLength(shortPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`the temp dir ${tmpdir()} is too long for a unix socket path (${shortPath})`);
  }
  await rm(socketPath, { force: true }); // a previous driver's socket: nobody listens on it any more
  await symlink(dirname(socketPath), link);
  try {
    return await bind(shortPath);
  } finally {
    await unlink(link).catch(() => undefined);
  }
}

/** Gives the socket the key file's group; root stays the owner. */
export async function restrictSocket(socketPath: string, gid: number | undefined): Promise<void> {
  await chown(socketPath, process.getuid?.() ?? 0, gid ?? process.getgid?.() ?? 0);
  await chmod(socketPath, SOCKET_MODE);
}

function privateShortDir(): Promise<string> {
  shortDir ??= mkdtemp(join(tmpdir(), 'wl-')); // mkdtemp makes it 0700
  return shortDir;
}
