import { join, resolve } from 'node:path';
import { StorageError } from './storage-error';

/** Kubelet's ephemeral volume IDs look like "csi-<sha256 hex>"; anything path-like is refused. */
const MAX_VOLUME_ID_LENGTH = 255;

export function validateVolumeId(volumeId: string): string | null {
  if (typeof volumeId !== 'string' || volumeId.length === 0) return 'volume ID is empty';
  if (volumeId.length > MAX_VOLUME_ID_LENGTH) return `volume ID is longer than ${MAX_VOLUME_ID_LENGTH} characters`;
  if (volumeId === '.' || volumeId === '..') return 'volume ID must not be "." or ".."';
  if (/[/\\\0]/.test(volumeId)) return 'volume ID must not contain "/", "\\" or NUL';
  return null;
}

export function assertVolumeId(volumeId: string): void {
  const reason = validateVolumeId(volumeId);
  if (reason) throw new StorageError(`invalid volume ID ${JSON.stringify(volumeId)}: ${reason}`, 'EINVAL');
}

/**
 * Where a volume lives on the data root:
 *   <dataRoot>/<volumeId>/metadata.json   0600, holds the volume context incl. the SA token
 *   <dataRoot>/<volumeId>/data/           0550, group = fsGroup; the bind-mount source
 */
export class VolumeLayout {
  readonly root: string;

  constructor(dataRoot: string) {
    this.root = resolve(dataRoot);
  }

  volumeDir(volumeId: string): string {
    assertVolumeId(volumeId);
    return join(this.root, volumeId);
  }

  metadataFile(volumeId: string): string {
    return join(this.volumeDir(volumeId), 'metadata.json');
  }

  dataDir(volumeId: string): string {
    return join(this.volumeDir(volumeId), 'data');
  }
}

export const VOLUME_DIR_MODE = 0o700;
export const DATA_DIR_MODE = 0o550;
export const METADATA_FILE_MODE = 0o600;
