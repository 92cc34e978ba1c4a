import type { TestingModuleBuilder } from '@nestjs/testing';
import { DataRoot } from '../data-root';
import { DATA_ROOT, METADATA_STORE, MOUNTER, SVID_READER, SVID_WRITER } from '../ports';
import { FakeMounter } from './fake-mounter';
import { InMemoryMetadataStore } from './in-memory-metadata-store';
import { InMemorySvidFiles } from './in-memory-svid-files';

/** What the driver keeps on its tmpfs and which mounts exist, held in memory: no root needed. */
export interface InMemoryStorage {
  files: InMemorySvidFiles;
  store: InMemoryMetadataStore;
  mounter: FakeMounter;
}

export function createInMemoryStorage(): InMemoryStorage {
  const files = new InMemorySvidFiles();
  return { files, store: new InMemoryMetadataStore(files), mounter: new FakeMounter() };
}

/**
 * Replaces StorageModule's filesystem providers with `storage` in a testing module: the module,
 * its lifecycle (tmpfs check, orphan cleanup, scheduler) and every consumer stay the production ones.
 */
export function useInMemoryStorage(
  builder: TestingModuleBuilder,
  storage: InMemoryStorage,
  dataRootPath: string,
): TestingModuleBuilder {
  return builder
    .overrideProvider(MOUNTER).useValue(storage.mounter)
    .overrideProvider(DATA_ROOT).useValue(new DataRoot(storage.mounter, dataRootPath))
    .overrideProvider(METADATA_STORE).useValue(storage.store)
    .overrideProvider(SVID_WRITER).useValue(storage.files)
    .overrideProvider(SVID_READER).useValue(storage.files);
}
