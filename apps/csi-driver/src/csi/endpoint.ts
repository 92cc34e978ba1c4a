import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CsiEndpoint, parseCsiEndpoint } from '@spiffe-csi/config';

export type ServingEndpoint = CsiEndpoint & { grpcUrl: string };

/**
 * --endpoint (grammar owned by @spiffe-csi/config: unix:///abs/path or tcp://host:port) plus the
 * address form @grpc/grpc-js binds to.
 */
export function parseEndpoint(endpoint: string): ServingEndpoint {
  let parsed: CsiEndpoint;
  try {
    parsed = parseCsiEndpoint(endpoint);
  } catch (err) {
    throw new Error(`--endpoint ${JSON.stringify(endpoint)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (parsed.kind === 'unix') return { ...parsed, grpcUrl: `unix://${parsed.path}` };
  const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
  return { ...parsed, grpcUrl: `${host}:${parsed.port}` };
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
