import { invalidArgument } from './csi-error';
import { ATTRIBUTE_FS_GROUP } from '../volume/volume-context-keys';

export const MAX_FS_GROUP = 4294967295;

/** Strict decimal GID in 1..4294967295 (0 would hand the files to root's group). */
function parseGid(raw: string, what: string): number {
  const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_FS_GROUP) {
    throw invalidArgument(
      `${what} must be an integer between 1 and ${MAX_FS_GROUP}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/**
 * The group the volume's files are made readable by: the driver's volume attribute wins; otherwise
 * the Pod's fsGroup, which kubelet sends as volume_mount_group because we advertise
 * VOLUME_MOUNT_GROUP. Undefined when neither is set.
 */
export function resolveFsGroup(
  context: Record<string, string>,
  volumeMountGroup: string | undefined,
): number | undefined {
  const attribute = context[ATTRIBUTE_FS_GROUP];
  if (attribute !== undefined)
    return parseGid(attribute, `volume attribute "${ATTRIBUTE_FS_GROUP}"`);
  if (volumeMountGroup)
    return parseGid(volumeMountGroup, 'volume_capability.mount.volume_mount_group');
  return undefined;
}
