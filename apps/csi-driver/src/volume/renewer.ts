import { Inject, Injectable } from '@nestjs/common';
import { LOGGER } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '../scheduler/backoff';
import { SCHEDULER } from '../scheduler/scheduler';
import { METADATA_STORE } from '../storage/ports';
import { DataRootKeeper } from './data-root-keeper';
import { KeyedMutex } from './keyed-mutex';
import { tokenExpired, type ManagedVolume } from './managed-volume';
import type { MetadataStore, Scheduler } from './ports';
import { VolumeIssuance } from './volume-issuance';
import { VolumeMetrics } from './volume-metrics';

/** How failed renewals back off; production keeps Backoff's defaults, tests shorten and un-jitter them. */
export const RENEWAL_BACKOFF = Symbol('RENEWAL_BACKOFF');

const KEY_PREFIX = 'renew:';

/**
 * Keeps every issued volume's SVID fresh through the one Scheduler: a renewal entry per volume at
 * its nextIssuanceTime; each renewal re-keys and re-issues with the token kubelet last gave us.
 * A failed renewal leaves the current (still valid) files alone and retries with exponential
 * backoff; success resets it.
 */
@Injectable()
export class Renewer {
  private readonly backoffs = new Map<string, Backoff>();
  /** Volumes on the schedule: a renewal of one of them that finds no metadata is a fault, not an unpublish. */
  private readonly active = new Set<string>();
  private readonly now = Date.now;

  constructor(
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    private readonly issuance: VolumeIssuance,
    private readonly mutex: KeyedMutex,
    private readonly metrics: VolumeMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    /** Puts a lost data root back before each renewal. */
    private readonly keeper: DataRootKeeper,
    @Inject(RENEWAL_BACKOFF) private readonly backoffOptions: BackoffOptions,
  ) {}

  /** (Re)schedules the volume's renewal at `at` (epoch ms); a past time runs at once. */
  schedule(volumeId: string, at: number): void {
    this.active.add(volumeId);
    this.scheduler.schedule(KEY_PREFIX + volumeId, at, () => this.renew(volumeId));
  }

  scheduleFrom(meta: ManagedVolume): void {
    if (meta.nextIssuanceTime) this.schedule(meta.volumeId, Date.parse(meta.nextIssuanceTime));
  }

  cancel(volumeId: string): void {
    this.scheduler.cancel(KEY_PREFIX + volumeId);
    this.backoffs.delete(volumeId);
    this.active.delete(volumeId);
  }

  nextAt(volumeId: string): number | undefined {
    return this.scheduler.nextAt(KEY_PREFIX + volumeId);
  }

  /** Consecutive failed renewals of the volume (0 after a success). */
  failures(volumeId: string): number {
    return this.backoffs.get(volumeId)?.attempts ?? 0;
  }

  /** One renewal attempt; exposed for tests and for the scheduler. */
  async renew(volumeId: string): Promise<void> {
    await this.mutex.run(volumeId, async () => {
      if (!this.active.has(volumeId)) return; // unpublished meanwhile
      const meta = await this.readMetadata(volumeId);
      if (!meta) return this.retryLater(volumeId);
      if (tokenExpired(meta, new Date(this.now()))) {
        const message = 'the stored ServiceAccount token has expired; waiting for kubelet to republish the volume with a fresh one';
        this.issuance.reportFailure(meta, message);
        return this.retryLater(volumeId);
      }
      try {
        const renewed = await this.issuance.issueAndStore(meta);
        this.backoffs.get(volumeId)?.reset();
        this.scheduleFrom(renewed);
        this.logger.info({ volumeId, nextIssuanceTime: renewed.nextIssuanceTime }, 'volume renewed');
      } catch {
        this.retryLater(volumeId); // issuance already logged it and raised the Event
      }
    });
  }

  /**
   * The volume's metadata, or undefined after reporting why it cannot be had (log + metric): a lost
   * data root, a deleted or corrupt metadata file. The caller retries; the volume is never dropped
   * silently, and kubelet's next republish (or unpublish) settles it.
   */
  private async readMetadata(volumeId: string): Promise<ManagedVolume | undefined> {
    try {
      await this.keeper.ensure();
    } catch (error) {
      this.metrics.renewalSkipped('data-root-lost');
      this.logger.error({ volumeId, err: (error as Error).message }, 'renewal postponed: the data root is not our tmpfs');
      return undefined;
    }
    const meta = (await this.store.read(volumeId).catch((error: Error) => {
      this.logger.warn({ volumeId, err: error.message }, 'reading volume metadata failed');
      return undefined;
    })) as ManagedVolume | undefined;
    if (!meta) {
      this.metrics.renewalSkipped('metadata-unreadable');
      this.logger.error({ volumeId },
        'renewal postponed: the volume\'s metadata is missing or unreadable; retrying until kubelet republishes or unpublishes it');
    }
    return meta;
  }

  private retryLater(volumeId: string): void {
    let backoff = this.backoffs.get(volumeId);
    if (!backoff) {
      backoff = new Backoff(this.backoffOptions);
      this.backoffs.set(volumeId, backoff);
    }
    const at = this.now() + backoff.next();
    this.schedule(volumeId, at);
    this.metrics.renewalRescheduled(volumeId, new Date(at));
    this.logger.info({ volumeId, retryAt: new Date(at).toISOString(), failures: backoff.attempts }, 'renewal will be retried');
  }
}
