import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { SCHEDULER, Scheduler, TimerScheduler } from '../scheduler/scheduler';
import { DataRoot } from './data-root';
import { FileMetadataStore, OrphanCleaner } from './metadata-store';
import { LinuxMounter, Mounter, TmpfsOptions } from './mounter';
import { FileSvidStore } from './svid-files';
import { DATA_ROOT, METADATA_STORE, MOUNTER, SVID_READER, SVID_WRITER } from './ports';

/** Just what storage needs from a logger (pino satisfies it). */
export interface StorageLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface StorageModuleOptions {
  dataRoot: string;
  tmpfs?: TmpfsOptions;
  schedulerConcurrency?: number;
  logger?: StorageLogger;
  /** On init: mount the tmpfs unless already there, then delete volume dirs without metadata. Default true. */
  prepareOnInit?: boolean;
}

const STORAGE_OPTIONS = Symbol('STORAGE_OPTIONS');

/** Readies the data root before modules that import StorageModule initialise (Nest inits imports first). */
@Injectable()
class StorageLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(STORAGE_OPTIONS) private readonly options: StorageModuleOptions,
    @Inject(DATA_ROOT) private readonly dataRoot: DataRoot,
    @Inject(METADATA_STORE) private readonly store: OrphanCleaner,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(MOUNTER) private readonly mounter: Mounter,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.options.prepareOnInit === false) return;
    const { mountedNow } = await this.dataRoot.ensureMounted();
    this.options.logger?.info({ dataRoot: this.dataRoot.path, mountedNow }, 'data root tmpfs ready');
    const removed = await this.store.cleanupOrphans();
    if (removed.length > 0) {
      this.options.logger?.warn({ volumeIds: removed }, 'removed volume directories without valid metadata');
    }
  }

  /** Runs after the modules importing storage shut down (Nest reverses the order), so no mount is still coming. */
  async onApplicationShutdown(): Promise<void> {
    this.scheduler.stop();
    if (this.mounter instanceof LinuxMounter) await this.mounter.close();
  }
}

@Module({})
export class StorageModule {
  static forRoot(options: StorageModuleOptions): DynamicModule {
    const logger = options.logger;
    // Tests swap these for in-memory twins with storage/testing/in-memory-storage.ts.
    const implementations = filesystemProviders(options);
    const providers: Provider[] = [
      { provide: STORAGE_OPTIONS, useValue: options },
      ...implementations,
      {
        provide: SCHEDULER,
        useFactory: () =>
          new TimerScheduler({
            concurrency: options.schedulerConcurrency,
            // 'job', not 'key': the log redactor treats a field named key as key material.
            onError: (job, error) => logger?.warn({ job, err: describe(error) }, 'scheduled job failed'),
          }),
      },
      StorageLifecycle,
    ];
    return {
      module: StorageModule,
      global: true,
      providers,
      exports: [METADATA_STORE, SVID_WRITER, SVID_READER, MOUNTER, DATA_ROOT, SCHEDULER],
    };
  }
}

function filesystemProviders(options: StorageModuleOptions): Provider[] {
  const logger = options.logger;
  const mounter = new LinuxMounter();
  const dataRoot = new DataRoot(mounter, options.dataRoot, options.tmpfs);
  // Both writers ask the data root before every write: keys and tokens go to our tmpfs or nowhere.
  const files = new FileSvidStore(options.dataRoot, dataRoot);
  return [
    { provide: MOUNTER, useValue: mounter },
    { provide: DATA_ROOT, useValue: dataRoot },
    {
      provide: METADATA_STORE,
      useValue: new FileMetadataStore(
        options.dataRoot,
        (volumeId, reason) => logger?.warn({ volumeId, reason }, 'ignoring corrupt volume metadata'),
        dataRoot,
      ),
    },
    { provide: SVID_WRITER, useValue: files },
    { provide: SVID_READER, useValue: files },
  ];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
