import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEDULER, TimerScheduler } from '../scheduler/scheduler';
import { DataRoot } from './data-root';
import { FakeMounter } from './testing/fake-mounter';
import { InMemoryMetadataStore } from './testing/in-memory-metadata-store';
import { FileMetadataStore } from './metadata-store';
import { LinuxMounter } from './mounter';
import { StorageModule } from './storage.module';
import { FileSvidStore, SvidFileWriter } from './svid-files';
import { InMemorySvidFiles } from './testing/in-memory-svid-files';
import { createInMemoryStorage, useInMemoryStorage } from './testing/in-memory-storage';
import { ROOT_ONLY, MountSandbox, isRoot } from './testing/mount-sandbox';
import { DATA_ROOT, METADATA_STORE, MOUNTER, SVID_READER, SVID_WRITER } from './ports';

describe('StorageModule', () => {
  let box: MountSandbox | undefined;
  afterEach(async () => {
    await box?.cleanup();
    box = undefined;
  });

  it('runs its lifecycle over in-memory twins swapped in by a test: data root readied on init, scheduler stopped on shutdown', async () => {
    const logs: string[] = [];
    const logger = { info: (_o: object, m: string) => logs.push(m), warn: (_o: object, m: string) => logs.push(m) };
    const builder = Test.createTestingModule({ imports: [StorageModule.forRoot({ dataRoot: '/csi-data', logger })] });
    const moduleRef = await useInMemoryStorage(builder, createInMemoryStorage(), '/csi-data').compile();
    const writer = moduleRef.get<SvidFileWriter>(SVID_WRITER);
    expect(writer).toBeInstanceOf(InMemorySvidFiles);
    expect(moduleRef.get(SVID_READER)).toBe(writer);
    expect(moduleRef.get(METADATA_STORE)).toBeInstanceOf(InMemoryMetadataStore);
    expect(moduleRef.get(MOUNTER)).toBeInstanceOf(FakeMounter);
    const scheduler = moduleRef.get<TimerScheduler>(SCHEDULER);
    expect(scheduler).toBeInstanceOf(TimerScheduler);

    await moduleRef.init();
    expect(await moduleRef.get<DataRoot>(DATA_ROOT).status()).toEqual({ path: '/csi-data', tmpfsMounted: true });
    expect(logs).toContain('data root tmpfs ready');

    scheduler.schedule('v', Date.now() + 60_000, () => undefined);
    await moduleRef.close();
    expect(scheduler.size()).toBe(0); // stopped on shutdown
  });

  it.skipIf(!isRoot)(`binds the filesystem implementations and mounts the tmpfs on init (${ROOT_ONLY})`, async () => {
    box = await MountSandbox.create();
    const dataRoot = box.path('csi-data');
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ dataRoot, tmpfs: { size: '1m' } })],
    }).compile();
    expect(moduleRef.get(SVID_WRITER)).toBeInstanceOf(FileSvidStore);
    expect(moduleRef.get(METADATA_STORE)).toBeInstanceOf(FileMetadataStore);
    expect(moduleRef.get(MOUNTER)).toBeInstanceOf(LinuxMounter);
    await moduleRef.init();
    expect(await box.mountsBelow()).toEqual([dataRoot]);
    await moduleRef.close();
    // Shutdown stopped the mount helper: nothing is left to keep the process alive.
    await expect(moduleRef.get<LinuxMounter>(MOUNTER).unmount(dataRoot)).rejects.toThrow(/closed/);
  });
});
