import type { Logger } from 'pino';
import type { CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import type { SvidFileReader } from '../storage/svid-files';
import type { KeyedMutex } from './keyed-mutex';
import type { MetadataStore, Scheduler, SvidFileWriter } from './ports';
import type { SvidFileNames } from './volume-issuance';

export interface CaRotationDeps {
  source: CaBundleSource;
  store: MetadataStore;
  reader: SvidFileReader;
  writer: SvidFileWriter;
  mutex: KeyedMutex;
  scheduler: Scheduler;
  fileNames: SvidFileNames;
  logger: Logger;
  retryMs?: number; // default 5 s, as the Go driver
}

/**
 * When the CA bundle changes, rewrites every issued volume's file set with the new CA next to its
 * current certificate and key (one atomic swap, so readers never see a mixed set). Volumes whose
 * CA file already matches are left alone; failures retry through the Scheduler.
 */
export class CaRotation {
  constructor(private readonly deps: CaRotationDeps) {}

  /** Subscribes to the source; returns the unsubscribe function. */
  start(): () => void {
    return this.deps.source.onChange((bundle) => void this.rewriteAll(bundle));
  }

  async rewriteAll(bundle: Buffer): Promise<void> {
    for (const volumeId of await this.deps.store.list()) await this.rewriteOrRetry(volumeId, bundle);
  }

  private async rewriteOrRetry(volumeId: string, bundle: Buffer): Promise<void> {
    try {
      await this.rewrite(volumeId, bundle);
    } catch (error) {
      this.deps.logger.warn({ volumeId, err: (error as Error).message }, 'writing the new CA bundle failed; will retry');
      this.deps.scheduler.schedule(`ca:${volumeId}`, Date.now() + (this.deps.retryMs ?? 5_000), async () => {
        const latest = this.deps.source.current();
        if (latest) await this.rewriteOrRetry(volumeId, latest);
      });
    }
  }

  private rewrite(volumeId: string, bundle: Buffer): Promise<void> {
    const { certificate, key, ca } = this.deps.fileNames;
    return this.deps.mutex.run(volumeId, async () => {
      const meta = await this.deps.store.read(volumeId);
      if (!meta) return; // unpublished meanwhile
      const files = await this.deps.reader.read(volumeId);
      if (!files[certificate] || !files[key]) return; // not issued yet: issuance writes the CA itself
      if (files[ca]?.equals(bundle)) return;
      await this.deps.writer.write(volumeId, { [certificate]: files[certificate], [key]: files[key], [ca]: bundle }, meta.fsGroup);
      this.deps.logger.info({ volumeId }, 'CA bundle updated in volume');
    });
  }
}
