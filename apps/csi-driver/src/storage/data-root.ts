import { resolve } from 'node:path';
import { Mounter, MountView, TmpfsOptions } from './mounter';
import { StorageError } from './storage-error';

export interface DataRootStatus {
  path: string;
  /** True when the data root is still the tmpfs this driver mounted or adopted (SVIDs never touch a disk). */
  tmpfsMounted: boolean;
  /** Why not, in words an operator can act on. */
  reason?: string;
}

export type DataRootCheck = { intact: true; mount: MountView } | { intact: false; reason: string };

/** Thrown instead of writing when the data root is no longer our tmpfs: nothing may be written there. */
export class DataRootLostError extends StorageError {
  constructor(reason: string) {
    super(`refusing to write key material: ${reason}`, 'EDATAROOTLOST');
    this.name = 'DataRootLostError';
  }
}

/** What every writer of key material or metadata asks before it writes. */
export interface WriteGuard {
  assertIntact(): Promise<MountView>;
}

/**
 * The driver's tmpfs: every volume's metadata and SVID files live below it and only there. It
 * remembers which mount it is (mount id and device from mountinfo) when it mounts or adopts it,
 * so an unmount, a lazy unmount or anything mounted over it later is noticed before the next write.
 */
export class DataRoot implements WriteGuard {
  readonly path: string;
  private expected: MountView | undefined;

  constructor(
    private readonly mounter: Mounter,
    path: string,
    private readonly tmpfsOptions: TmpfsOptions = {},
  ) {
    this.path = resolve(path);
  }

  /**
   * Mounts the tmpfs unless one is already mounted exactly here. After a driver restart the old
   * tmpfs is still mounted (and pods' bind mounts still point into it), so mounting a second one
   * on top would hide every volume's files and strand those pods on stale SVIDs (csi-lib#74).
   * Anything else mounted here (e.g. a hostPath) gets the tmpfs on top of it.
   * Returns whether a new tmpfs was mounted.
   */
  async ensureMounted(): Promise<{ mountedNow: boolean }> {
    let mountedNow = false;
    if ((await this.mounter.mountedFsType(this.path)) !== 'tmpfs') {
      await this.mounter.mountTmpfs(this.path, this.tmpfsOptions);
      mountedNow = true;
    }
    this.expected = await this.mounter.mountAt(this.path);
    if (this.expected?.fsType !== 'tmpfs') throw new DataRootLostError(`no tmpfs at ${this.path} after mounting one`);
    return { mountedNow };
  }

  /** The tmpfs as recorded by ensureMounted (bind sources of volumes live on its device). */
  get mount(): MountView | undefined {
    return this.expected && { ...this.expected };
  }

  /**
   * Is the data root still exactly the tmpfs we recorded? Never throws. Asked before every write
   * (and every publish and renewal), so it first asks the O(1) question (which mount and device
   * the directory lies on now) and reads the whole mount table only when that differs or cannot
   * be told: with 1,000 volumes mounted, mountinfo is 1,000+ lines, and parsing it per write made
   * a renewal wave of 1,000 volumes O(N²). Both answers name the same mount ID and device.
   */
  async check(): Promise<DataRootCheck> {
    const expected = this.expected;
    if (expected) {
      const now = await this.mounter.mountOf(this.path).catch(() => undefined);
      if (now && now.mountId === expected.mountId && now.device === expected.device) return { intact: true, mount: { ...expected } };
    }
    return this.inspect();
  }

  /** Throws DataRootLostError unless the data root is still our tmpfs. Called before every write. */
  async assertIntact(): Promise<MountView> {
    const result = await this.check();
    if (!result.intact) throw new DataRootLostError(result.reason);
    return result.mount;
  }

  /** For the Probe RPC / readiness. */
  async status(): Promise<DataRootStatus> {
    const result = await this.inspect(); // the thorough one: the mount table, as an operator would read it
    return result.intact ? { path: this.path, tmpfsMounted: true } : { path: this.path, tmpfsMounted: false, reason: result.reason };
  }

  /** The full check against /proc/self/mountinfo: the topmost mount at the path, ID and device. */
  private async inspect(): Promise<DataRootCheck> {
    const expected = this.expected;
    if (!expected) return { intact: false, reason: `the data root ${this.path} has not been mounted yet` };
    let now: MountView | undefined;
    try {
      now = await this.mounter.mountAt(this.path);
    } catch (err) {
      return { intact: false, reason: `cannot read the mount table for ${this.path}: ${(err as Error).message}` };
    }
    if (!now) return { intact: false, reason: `the data root tmpfs at ${this.path} was unmounted` };
    if (now.mountId !== expected.mountId || now.device !== expected.device) {
      return {
        intact: false,
        reason: `the data root ${this.path} is no longer the driver's tmpfs (now ${now.fsType} mount ${now.mountId} on ${now.device}, ` +
          `was tmpfs mount ${expected.mountId} on ${expected.device})`,
      };
    }
    return { intact: true, mount: now };
  }
}
