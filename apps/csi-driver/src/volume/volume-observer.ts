import type { ValidatedX509Svid } from '@spiffe-csi/crypto';
import type { ManagedVolume } from './managed-volume';

/**
 * Told about a volume's SVID after it is stored (files written, then metadata) and before its
 * directory goes; on boot, of every resumed volume (before its renewal is scheduled).
 * Called under the volume's lock, or on boot before anything else runs for the volume;
 * implementations report their own failures and never reject, so an observer can never fail an
 * issuance, an unpublish or a resume.
 */
export interface VolumeObserver {
  /** `svid`: what issuance validated and wrote, served as is; absent, the files are read back and checked. */
  svidStored(meta: ManagedVolume, svid?: ValidatedX509Svid): Promise<void>;
  /**
   * On boot: the volume has a stored SVID from before the restart. The observer may take it up
   * later, in its own time (readiness must not wait for 1,000 of them); a later svidStored or
   * volumeRemoved for the volume supersedes it.
   */
  volumeResumed(meta: ManagedVolume): void;
  volumeRemoved(volumeId: string): Promise<void>;
}

export const VOLUME_OBSERVER = Symbol('VOLUME_OBSERVER');

export const NO_VOLUME_OBSERVER: VolumeObserver = {
  svidStored: async () => undefined,
  volumeResumed: () => undefined,
  volumeRemoved: async () => undefined,
};
