import { resolve } from 'node:path';
import { Mounter, TmpfsOptions } from './mounter';

export interface DataRootStatus {
  path: string;
  /** True when the data root is the mount point of a tmpfs (SVIDs never touch a disk). */
  tmpfsMounted: boolean;
}

/** The driver's tmpfs: every volume's metadata and SVID files live below it and only there. */
export class DataRoot {
  readonly path: string;

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
    if ((await this.mounter.mountedFsType(this.path)) === 'tmpfs') return { mountedNow: false };
    await this.mounter.mountTmpfs(this.path, this.tmpfsOptions);
    return { mountedNow: true };
  }

  /** For the Probe RPC / readiness: is the data root really a mounted tmpfs right now? */
  async status(): Promise<DataRootStatus> {
    const fsType = await this.mounter.mountedFsType(this.path).catch(() => undefined);
    return { path: this.path, tmpfsMounted: fsType === 'tmpfs' };
  }
}
