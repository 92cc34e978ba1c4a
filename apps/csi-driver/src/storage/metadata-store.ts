import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WriteGuard } from './data-root';
import { fsyncDir, tryTo, writeNewFileDurably } from './fs-util';
import { isErrno, storageError } from './storage-error';
import { METADATA_FILE_MODE, VOLUME_DIR_MODE, VolumeLayout, validateVolumeId } from './volume-layout';
import { VolumeMetadata, parseVolumeMetadata, validateVolumeMetadata } from './volume-metadata';

export interface MetadataStore {
  /** undefined when absent, or when present but corrupt (reported through onCorrupt). */
  read(volumeId: string): Promise<VolumeMetadata | undefined>;
  write(meta: VolumeMetadata): Promise<void>;
  /** IDs of volumes that have a metadata file. */
  list(): Promise<string[]>;
  /** Removes the whole volume (metadata and data). Absent → ok. */
  remove(volumeId: string): Promise<void>;
}

/** Restart housekeeping: not part of MetadataStore so stand-ins need not implement it. */
export interface OrphanCleaner {
  /** Deletes volume dirs without valid metadata (crash mid-publish); returns the removed IDs. */
  cleanupOrphans(): Promise<string[]>;
}

export type CorruptMetadataReporter = (volumeId: string, reason: string) => void;

/** metadata.json per volume on the data root, written atomically (temp file, fsync, rename). */
export class FileMetadataStore implements MetadataStore, OrphanCleaner {
  private readonly layout: VolumeLayout;

  constructor(
    dataRoot: string,
    private readonly onCorrupt: CorruptMetadataReporter = () => undefined,
    /** Asked before every write: metadata holds the Pod's token, so it is tmpfs-only too. */
    private readonly guard?: WriteGuard,
  ) {
    this.layout = new VolumeLayout(dataRoot);
  }

  async read(volumeId: string): Promise<VolumeMetadata | undefined> {
    let text: string;
    try {
      text = await readFile(this.layout.metadataFile(volumeId), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw storageError(`reading metadata of volume ${volumeId}`, err);
    }
    try {
      return parseVolumeMetadata(text, volumeId);
    } catch (err) {
      this.onCorrupt(volumeId, (err as Error).message);
      return undefined;
    }
  }

  async write(meta: VolumeMetadata): Promise<void> {
    const reason = validateVolumeMetadata(meta);
    if (reason) throw storageError(`writing metadata of volume ${meta?.volumeId}`, new Error(reason));
    const file = this.layout.metadataFile(meta.volumeId);
    const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await this.guard?.assertIntact();
    try {
      // Synchronous like the files it describes (docs/decisions/0012): the checked tmpfs, every renewal.
      mkdirSync(dirname(file), { recursive: true, mode: VOLUME_DIR_MODE });
      await writeNewFileDurably(temp, JSON.stringify(meta), METADATA_FILE_MODE);
      renameSync(temp, file);
      await fsyncDir(dirname(file));
    } catch (err) {
      tryTo(() => rmSync(temp, { force: true })); // the first error is the one to report
      throw storageError(`writing metadata of volume ${meta.volumeId}`, err);
    }
  }

  async list(): Promise<string[]> {
    const ids: string[] = [];
    for (const id of await this.volumeDirs()) {
      if (await exists(this.layout.metadataFile(id))) ids.push(id);
    }
    return ids.sort();
  }

  async remove(volumeId: string): Promise<void> {
    try {
      await rm(this.layout.volumeDir(volumeId), { recursive: true, force: true });
    } catch (err) {
      throw storageError(`removing volume ${volumeId}`, err);
    }
  }

  async cleanupOrphans(): Promise<string[]> {
    const removed: string[] = [];
    for (const id of await this.volumeDirs()) {
      if ((await this.read(id)) !== undefined) continue;
      await this.remove(id);
      removed.push(id);
    }
    return removed.sort();
  }

  private async volumeDirs(): Promise<string[]> {
    try {
      const entries = await readdir(this.layout.root, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && validateVolumeId(e.name) === null).map((e) => e.name);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw storageError('listing volumes on the data root', err);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
