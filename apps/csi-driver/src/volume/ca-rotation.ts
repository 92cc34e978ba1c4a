import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, OPTIONS, type DriverOptions } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, type CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import { SCHEDULER, type Scheduler } from '../scheduler/scheduler';
import { METADATA_STORE, SVID_READER, SVID_WRITER } from '../storage/ports';
import type { SvidFileReader } from '../storage/svid-files';
import { KeyedMutex } from './keyed-mutex';
import type { MetadataStore, SvidFileWriter } from './ports';
import { svidFileNames, svidPayload, type SvidFileNames } from './svid-payload';

/** How long a failed CA rewrite waits before it is tried again, ms (5 s, as the Go driver). */
export const CA_RETRY_DELAY_MS = Symbol('CA_RETRY_DELAY_MS');

/**
 * When the CA bundle changes, rewrites every issued volume's file set with the new CA file and
 * SPIFFE bundle next to its current certificate, key and credential file (one atomic swap, so
 * readers never see a mixed set); the Workload API re-checks the SVID against the new bundle. Volumes whose
 * CA file already matches are left alone; failures retry through the Scheduler.
 */
@Injectable()
export class CaRotation {
  private readonly fileNames: SvidFileNames;

  constructor(
    @Inject(OPTIONS) options: Pick<DriverOptions,
      'fileNameCertificate' | 'fileNameKey' | 'fileNameCa' | 'fileNameCredentials' | 'fileNameBundle'>,
    @Inject(CA_BUNDLE_SOURCE) private readonly source: CaBundleSource,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(SVID_READER) private readonly reader: SvidFileReader,
    @Inject(SVID_WRITER) private readonly writer: Pick<SvidFileWriter, 'write'>,
    private readonly mutex: KeyedMutex,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CA_RETRY_DELAY_MS) private readonly retryMs: number,
  ) {
    this.fileNames = svidFileNames(options);
  }

  /** Subscribes to the source; returns the unsubscribe function. */
  start(): () => void {
    return this.source.onChange((bundle) => void this.rewriteAll(bundle));
  }

  async rewriteAll(bundle: Buffer): Promise<void> {
    for (const volumeId of await this.store.list()) await this.rewriteOrRetry(volumeId, bundle);
  }

  private async rewriteOrRetry(volumeId: string, bundle: Buffer): Promise<void> {
    try {
      await this.rewrite(volumeId, bundle);
    } catch (error) {
      this.logger.warn({ volumeId, err: (error as Error).message }, 'writing the new CA bundle failed; will retry');
      this.scheduler.schedule(`ca:${volumeId}`, Date.now() + this.retryMs, async () => {
        const latest = this.source.current();
        if (latest) await this.rewriteOrRetry(volumeId, latest);
      });
    }
  }

  private rewrite(volumeId: string, bundle: Buffer): Promise<void> {
    const { certificate, key, ca } = this.fileNames;
    const bundlePem = bundle.toString('utf8');
    return this.mutex.run(volumeId, async () => {
      const meta = await this.store.read(volumeId);
      if (!meta) return; // unpublished meanwhile
      const files = await this.reader.read(volumeId);
      if (!files[certificate] || !files[key]) return; // not issued yet: issuance writes the CA itself
      if (files[ca]?.equals(bundle)) return;
      // The SVID's own files are carried over unchanged; the CA file and the SPIFFE bundle follow the source.
      const payload = svidPayload({ chainPem: files[certificate], keyPem: files[key], bundlePem, sourceCa: bundle }, this.fileNames);
      await this.writer.write(volumeId, payload, meta.fsGroup);
      this.logger.info({ volumeId }, 'CA bundle updated in volume');
    });
  }
}
