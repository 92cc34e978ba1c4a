import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname, posix } from 'node:path';

export type CsiEndpoint =
  | { kind: 'unix'; path: string; grpcUrl: string }
  | { kind: 'tcp'; host: string; port: number; grpcUrl: string };

/**
 * Parses --endpoint. `unix://` paths are always absolute: like the Go driver, `unix://plugin/csi.sock`
 * (the chart's value) means /plugin/csi.sock. `tcp://host:port` is for tests and debugging.
 */
export function parseEndpoint(endpoint: string): CsiEndpoint {
  const unix = /^unix:(?:\/\/)?(.+)$/.exec(endpoint);
  if (unix) {
    const path = posix.normalize('/' + unix[1].replace(/^\/+/, ''));
    if (path === '/' || path.endsWith('/'))
      throw new Error(`--endpoint ${endpoint}: unix socket path is a directory`);
    return { kind: 'unix', path, grpcUrl: `unix://${path}` };
  }
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/]+):(\d{1,5})$/.exec(endpoint);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port > 65535) throw new Error(`--endpoint ${endpoint}: port out of range`);
    return { kind: 'tcp', host: tcp[1], port, grpcUrl: `${tcp[1]}:${port}` };
  }
  throw new Error(
    `--endpoint ${JSON.stringify(endpoint)}: expected unix:///path/to/csi.sock or tcp://host:port`,
  );
}

/**
 * Makes the socket path bindable: creates its directory and removes a socket left behind by a
 * previous run (a crashed driver never unlinks it, and bind() would fail with EADDRINUSE).
 */
export async function prepareUnixSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  let stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (stats.isDirectory()) throw new Error(`CSI socket path ${path} is a directory`);
  await unlink(path);
}

/** Only root (kubelet, the registrar) may talk to the driver. */
export async function restrictUnixSocket(path: string): Promise<void> {
  await chmod(path, 0o600);
}
