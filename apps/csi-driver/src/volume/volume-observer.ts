import type { ValidatedX509Svid } from '@spiffe-csi/crypto';
import type { ManagedVolume } from './managed-volume';

/**
 * Told about a volume's SVID after it is stored (files written, then metadata) and before its
 * directory goes. Called under the volume's lock; implementations report their own failures and
 * never reject, so an observer can never fail an issuance or an unpublish.
 */
export interface VolumeObserver {
  /** `svid` is what was validated and written: served as is, never read back and checked again. */
  svidStored(meta: ManagedVolume, svid: ValidatedX509Svid): Promise<void>;
  volumeRemoved(volumeId: string): Promise<void>;
}

export const VOLUME_OBSERVER = Symbol('VOLUME_OBSERVER');

export const NO_VOLUME_OBSERVER: VolumeObserver = {
  svidStored: async () => undefined,
  volumeRemoved: async () => undefined,
};
