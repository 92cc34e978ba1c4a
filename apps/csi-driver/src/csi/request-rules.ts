import { posix } from 'node:path';
import { invalidArgument } from './csi-error';

/** Linux PATH_MAX; kubelet's target paths are far shorter. */
export const MAX_TARGET_PATH_BYTES = 4096;
/** The volume ID becomes a directory name under the data root (NAME_MAX 255). */
export const MAX_VOLUME_ID_LENGTH = 253;
/** Kubelet's own context for an inline volume is a few KiB; anything near this is hostile. */
export const MAX_VOLUME_CONTEXT_BYTES = 64 * 1024;

const VOLUME_ID_CHARS = /^[A-Za-z0-9._-]+$/;

/** The volume ID is used as a path segment, so it must not be able to name anything else. */
export function checkVolumeId(volumeId: unknown): string {
  if (typeof volumeId !== 'string' || volumeId === '')
    throw invalidArgument('volume_id is required');
  if (
    volumeId.length > MAX_VOLUME_ID_LENGTH ||
    !VOLUME_ID_CHARS.test(volumeId) ||
    volumeId === '.' ||
    volumeId === '..'
  ) {
    throw invalidArgument(
      `volume_id must be 1-${MAX_VOLUME_ID_LENGTH} characters of [A-Za-z0-9._-] and not "." or ".."`,
    );
  }
  return volumeId;
}

export function checkTargetPath(targetPath: unknown): string {
  if (typeof targetPath !== 'string' || targetPath === '')
    throw invalidArgument('target_path is required');
  if (Buffer.byteLength(targetPath) > MAX_TARGET_PATH_BYTES) {
    throw invalidArgument(`target_path is longer than ${MAX_TARGET_PATH_BYTES} bytes`);
  }
  if (targetPath.includes('\0')) throw invalidArgument('target_path must not contain NUL bytes');
  if (!posix.isAbsolute(targetPath)) throw invalidArgument('target_path must be an absolute path');
  if (targetPath === '/') throw invalidArgument('target_path must not be the root directory');
  if (targetPath.split('/').includes('..'))
    throw invalidArgument('target_path must not contain ".." segments');
  if (posix.normalize(targetPath) !== targetPath || targetPath.endsWith('/')) {
    throw invalidArgument(
      'target_path must be normalised (no "." segments, repeated or trailing slashes)',
    );
  }
  return targetPath;
}

/** Sum of key and value sizes in bytes, refused above the cap before anything parses it. */
export function checkVolumeContextSize(context: Record<string, string>): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(context))
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (bytes > MAX_VOLUME_CONTEXT_BYTES) {
    throw invalidArgument(
      `volume_context is too large (${bytes} bytes, limit ${MAX_VOLUME_CONTEXT_BYTES}); ` +
        'remove unneeded volumeAttributes from the Pod spec',
    );
  }
}
