import { MetadataStore, OrphanCleaner } from '../metadata-store';
import { storageError } from '../storage-error';
import { assertVolumeId } from '../volume-layout';
import { VolumeMetadata, validateVolumeMetadata } from '../volume-metadata';

/** Where an in-memory volume's files live, so remove/cleanupOrphans can treat them like the dirs. */
export interface InMemoryVolumeFiles {
  volumeIds(): string[];
  remove(volumeId: string): void;
}

/** In-memory twin of FileMetadataStore: validates like it, hands out copies so callers cannot alias. */
export class InMemoryMetadataStore implements MetadataStore, OrphanCleaner {
  private readonly entries = new Map<string, string>();

  constructor(private readonly files?: InMemoryVolumeFiles) {}

  async read(volumeId: string): Promise<VolumeMetadata | undefined> {
    assertVolumeId(volumeId);
    const text = this.entries.get(volumeId);
    return text === undefined ? undefined : (JSON.parse(text) as VolumeMetadata);
  }

  async write(meta: VolumeMetadata): Promise<void> {
    const reason = validateVolumeMetadata(meta);
    if (reason) throw storageError(`writing metadata of volume ${meta?.volumeId}`, new Error(reason));
    assertVolumeId(meta.volumeId);
    this.entries.set(meta.volumeId, JSON.stringify(meta));
  }

  async list(): Promise<string[]> {
    return [...this.entries.keys()].sort();
  }

  async remove(volumeId: string): Promise<void> {
    assertVolumeId(volumeId);
    this.entries.delete(volumeId);
    this.files?.remove(volumeId);
  }

  async cleanupOrphans(): Promise<string[]> {
    const orphans = (this.files?.volumeIds() ?? []).filter((id) => !this.entries.has(id));
    for (const id of orphans) this.files?.remove(id);
    return orphans.sort();
  }
}
