import { chmod, chown, mkdir } from 'node:fs/promises';
import { AtomicWriter } from './atomic-writer';
import type { WriteGuard } from './data-root';
import { UNCHANGED } from './fs-util';
import { StorageError, storageError } from './storage-error';
import { DATA_DIR_MODE, VOLUME_DIR_MODE, VolumeLayout } from './volume-layout';

export interface SvidFileWriter {
  /** Atomically replaces the volume's file set (e.g. tls.crt, tls.key, ca.crt); gid = fsGroup. */
  write(volumeId: string, files: Record<string, string | Buffer>, gid?: number): Promise<void>;
  /** Creates the volume's (empty) data dir with its final owner and mode, so it can be bound before the first write. */
  prepare(volumeId: string, gid?: number): Promise<void>;
}

export interface SvidFileReader {
  /** The volume's current file set, all from one payload; {} if nothing was written yet. */
  read(volumeId: string): Promise<Record<string, Buffer>>;
}

/** gid 4294967295 is (gid_t)-1, which chown(2) reads as "leave unchanged". */
const MAX_GID = 4294967294;

export function assertGid(gid: number | undefined): void {
  if (gid === undefined) return;
  if (!Number.isInteger(gid) || gid < 0 || gid > MAX_GID) {
    throw new StorageError(`invalid fs group ${JSON.stringify(gid)}: must be an integer in 0..${MAX_GID}`, 'EINVAL');
  }
}

/** SVID files in `<dataRoot>/<volumeId>/data/` through the AtomicWriter. */
export class FileSvidStore implements SvidFileWriter, SvidFileReader {
  private readonly layout: VolumeLayout;
  /** Tail of the write chain per volume: two overlapping writes of one dir would fight over ..data_tmp. */
  private readonly inFlight = new Map<string, Promise<void>>();

  /** `guard` is asked before every write: a key must never land anywhere but our tmpfs. */
  constructor(
    dataRoot: string,
    private readonly guard?: WriteGuard,
  ) {
    this.layout = new VolumeLayout(dataRoot);
  }

  async write(volumeId: string, files: Record<string, string | Buffer>, gid?: number): Promise<void> {
    assertGid(gid);
    const previous = this.inFlight.get(volumeId) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.writeNow(volumeId, files, gid));
    const tail = current.catch(() => undefined);
    this.inFlight.set(volumeId, tail);
    void tail.then(() => {
      if (this.inFlight.get(volumeId) === tail) this.inFlight.delete(volumeId);
    });
    return current;
  }

  private async writeNow(volumeId: string, files: Record<string, string | Buffer>, gid?: number): Promise<void> {
    await this.prepare(volumeId, gid);
    await new AtomicWriter(this.layout.dataDir(volumeId)).write(files, { gid });
  }

  async prepare(volumeId: string, gid?: number): Promise<void> {
    assertGid(gid);
    const dataDir = this.layout.dataDir(volumeId);
    await this.guard?.assertIntact();
    try {
      await mkdir(this.layout.volumeDir(volumeId), { recursive: true, mode: VOLUME_DIR_MODE });
      await mkdir(dataDir, { recursive: true, mode: DATA_DIR_MODE });
      // The pod reads through the bind of this dir: r-x for the fsGroup, nothing for others.
      await chown(dataDir, UNCHANGED, gid ?? process.getgid?.() ?? 0);
      await chmod(dataDir, DATA_DIR_MODE);
    } catch (err) {
      throw storageError(`preparing the data directory of volume ${volumeId}`, err);
    }
  }

  async read(volumeId: string): Promise<Record<string, Buffer>> {
    return new AtomicWriter(this.layout.dataDir(volumeId)).read();
  }
}
