import type { ValidatedX509Svid } from '@spiffe-csi/crypto';
import type { ManagedVolume } from './managed-volume';

/**
 * Told about a volume's SVID after it is stored (files written, then metadata) and before its
 * directory goes; on boot, of every resumed volume's stored SVID (before its renewal is scheduled).
 * Called under the volume's lock, or on boot before anything else runs for the volume;
 * implementations report their own failures and never reject, so an observer can never fail an
 * issuance, an unpublish or a resume.
 */
export interface VolumeObserver {
  /** `svid`: what issuance validated and wrote, served as is; absent (on boot), the files are read back and checked. */
  svidStored(meta: ManagedVolume, svid?: ValidatedX509Svid): Promise<void>;
  volumeRemoved(volumeId: string): Promise<void>;
}

export const VOLUME_OBSERVER = Symbol('VOLUME_OBSERVER');

export const NO_VOLUME_OBSERVER: VolumeObserver = {
  svidStored: async () => undefined,
  volumeRemoved: async () => undefined,
};
