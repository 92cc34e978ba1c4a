import { rmdir } from 'node:fs/promises';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { LOGGER } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { DomainError } from '../domain-error';
import { PhaseClock } from '../issuance/phase-clock';
import { TOKEN_VERIFIER, type TokenVerifier } from '../issuance/ports';
import { SvidIssuer } from '../issuance/svid-issuer';
import { DataRootLostError, type DataRoot } from '../storage/data-root';
import { DATA_ROOT, METADATA_STORE, MOUNTER, SVID_WRITER } from '../storage/ports';
import { VolumeLayout } from '../storage/volume-layout';
import { DataRootKeeper } from './data-root-keeper';
import { KeyedMutex } from './keyed-mutex';
import { isIssued, withIdentity, type ManagedVolume } from './managed-volume';
import { NO_VOLUME_OBSERVER, VOLUME_OBSERVER, type VolumeObserver } from './volume-observer';
import { Renewer } from './renewer';
import type { MetadataStore, Mounter, SvidFileWriter } from './ports';
import { TargetGuard, type TargetState } from './target-guard';
import { acceptPresentedToken, bindingMismatch, checkStaleBindIdentity } from './volume-binding';
import { VolumeIssuance } from './volume-issuance';
import { VolumeMetrics } from './volume-metrics';
import type { PublishRequest } from './volume-request';

/** The contract seam the gRPC Node service calls (docs/module-contracts.md, "Driver seams"). */
export const VOLUME_MANAGER = Symbol('VOLUME_MANAGER');

export interface VolumeManager {
  publish(req: PublishRequest): Promise<void>; // throws DomainError
  unpublish(volumeId: string, targetPath: string): Promise<void>;
  ready(): Promise<{ ready: boolean; reason?: string }>;
}

/** Our binds stacked at one target by an older driver are undone one by one, this many at most. */
const MAX_STACKED_BINDS = 8;

/**
 * Publish = issue (once) + bind read-only + keep renewed; unpublish = stop + unmount + delete.
 * Everything for one volume runs under that volume's lock, so a second concurrent publish waits
 * for the first and then finds the volume issued and mounted (csi-lib PR #211: no empty mounts).
 * A volume is bound to its Pod and target path; only our own binds are ever unmounted.
 */
@Injectable()
export class DefaultVolumeManager implements VolumeManager {
  private readonly layout: VolumeLayout;
  private readonly managed = new Set<string>();
  private started = false;

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(MOUNTER) private readonly mounter: Mounter,
    /** Prepares a new volume's data dir before its first write, so it can be bound early. */
    @Inject(SVID_WRITER) private readonly files: Pick<SvidFileWriter, 'prepare'>,
    @Inject(DATA_ROOT) private readonly dataRoot: DataRoot,
    private readonly keeper: DataRootKeeper,
    private readonly targets: TargetGuard,
    @Inject(TOKEN_VERIFIER) private readonly tokens: TokenVerifier,
    private readonly issuance: VolumeIssuance,
    private readonly renewer: Renewer,
    /** Holds the volume's unanswered request; unpublish makes it forget it. */
    private readonly issuer: SvidIssuer,
    private readonly mutex: KeyedMutex,
    private readonly metrics: VolumeMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    /** Told before a volume's directory goes (the Workload API closes its socket). */
    @Optional() @Inject(VOLUME_OBSERVER) private readonly observer: VolumeObserver = NO_VOLUME_OBSERVER,
  ) {
    this.layout = new VolumeLayout(dataRoot.path);
  }

  /** Called once startup resume is done: from here on the driver reports ready. */
  markStarted(resumedVolumeIds: string[] = []): void {
    for (const id of resumedVolumeIds) this.managed.add(id);
    this.metrics.managedVolumeCount(this.managed.size);
    this.started = true;
  }

  async publish(req: PublishRequest): Promise<void> {
    const done = this.metrics.publishTimer();
    const clock = new PhaseClock();
    try {
      await this.targets.confine(req.targetPath);
      await this.mutex.run(req.volumeId, () => {
        clock.mark('lock');
        return this.publishLocked(req, clock);
      });
      done('ok');
    } catch (error) {
      done('error');
      throw asDomainError(error, `publishing volume ${req.volumeId}`);
    }
  }

  async unpublish(volumeId: string, targetPath: string): Promise<void> {
    try {
      await this.targets.confine(targetPath);
      await this.mutex.run(volumeId, () => this.unpublishLocked(volumeId, targetPath));
      this.logger.info({ volumeId }, 'volume unpublished');
    } catch (error) {
      throw asDomainError(error, `unpublishing volume ${volumeId}`);
    }
  }

  async ready(): Promise<{ ready: boolean; reason?: string }> {
    if (!this.started) return { ready: false, reason: 'volume manager is still resuming volumes' };
    const root = await this.dataRoot.status();
    if (!root.tmpfsMounted) return { ready: false, reason: root.reason ?? `data root ${root.path} is not a mounted tmpfs` };
    return { ready: true };
  }

  private async publishLocked(req: PublishRequest, clock: PhaseClock): Promise<void> {
    const { store, targets, logger } = this;
    await this.keeper.ensure();
    const previous = (await store.read(req.volumeId)) as ManagedVolume | undefined;
    const mismatch = previous && bindingMismatch(previous, req);
    if (mismatch) throw mismatch;
    const state = await targets.classify(req.targetPath, req.volumeId);
    if (state === 'foreign') {
      throw new DomainError('precondition-failed',
        `target_path ${req.targetPath} is already a mount point of something else; refusing to mount over it`);
    }
    if (state === 'stale') await checkStaleBindIdentity(req);
    await acceptPresentedToken(previous, req, this.tokens);
    let meta = withIdentity(req, req.identity, previous);

    if (isIssued(previous) && state === 'ours') {
      // Kubelet's periodic republish (requiresRepublish): keep the (verified) fresh token for renewals.
      await store.write(meta);
      this.ensureRenewal(meta);
      logger.debug({ volumeId: req.volumeId }, 'republish: token refreshed');
      return;
    }

    // A stale bind means the files it showed were on the lost tmpfs: issue anew into the new one.
    const issue = !isIssued(previous) || state === 'stale';
    let early: Promise<void> | undefined;
    try {
      await store.write(meta);
      clock.mark('prepare');
      // A first issuance at a free target binds the still empty data dir once its request is out
      // (the mount helper is another process; approval and signing take longer than the bind),
      // taking the mount off the Pod's startup path. Not before: a request refused at creation
      // (no RBAC, a bad token) costs no mount. No container sees the empty dir: kubelet starts
      // none before NodePublish returns, and a failed publish removes the bind below.
      const onSubmitted = issue && state === 'none' ? () => {
        early = this.mountEarly(req.volumeId, req.targetPath, meta.fsGroup);
        early.catch(() => undefined); // awaited below; not unhandled while issuance runs
      } : undefined;
      if (issue) meta = await this.issuance.issueAndStore(meta, { clock, onSubmitted });
      await (early ?? this.mountAt(req.volumeId, req.targetPath, state));
      clock.mark('mount');
    } catch (error) {
      if (early) await this.undoEarlyMount(early, req.volumeId, req.targetPath);
      // A volume that never got a certificate leaves nothing behind; the pending request (kept by
      // the issuer) lets kubelet's retry pick up where this attempt stopped.
      if (!isIssued(previous)) await this.discard(req.volumeId);
      throw error;
    }
    if (state === 'stale') this.reportReissued(meta);
    this.ensureRenewal(meta);
    this.managed.add(req.volumeId);
    this.metrics.managedVolumeCount(this.managed.size);
    // Where the time went, per phase (PhaseClock): durations only, nothing secret.
    const phasesMs = clock.phasesMs();
    this.metrics.publishPhases(phasesMs);
    logger.info({ volumeId: req.volumeId, spiffeId: meta.spiffeId, nextIssuanceTime: meta.nextIssuanceTime,
      durationMs: clock.totalMs(), phasesMs }, 'volume published');
  }

  /** Binds the data dir at the target (replacing a stale bind) and proves the result is our bind. */
  private async mountAt(volumeId: string, targetPath: string, state: TargetState): Promise<void> {
    const { mounter, targets } = this;
    if (state === 'ours') return;
    if (state === 'stale') await mounter.unmount(targetPath);
    await targets.confine(targetPath); // again: issuance took a while, the path may have changed since
    const bound = await mounter.bindReadOnly(this.layout.dataDir(volumeId), targetPath);
    if (targets.judge(bound, volumeId) !== 'ours') {
      await mounter.unmount(targetPath).catch(() => undefined);
      throw new DomainError('internal', `the bind mount at ${targetPath} is not this volume's after mounting; removed it`);
    }
  }

  private async mountEarly(volumeId: string, targetPath: string, fsGroup: number | undefined): Promise<void> {
    await this.files.prepare(volumeId, fsGroup);
    await this.mountAt(volumeId, targetPath, 'none');
  }

  /** After a failed publish: the early bind (once it settled) goes if it is ours; anything else stays. */
  private async undoEarlyMount(early: Promise<void>, volumeId: string, targetPath: string): Promise<void> {
    await early.catch(() => undefined);
    if ((await this.targets.classify(targetPath, volumeId).catch(() => 'foreign')) !== 'ours') return;
    await this.mounter.unmount(targetPath).catch((error: Error) =>
      this.logger.warn({ volumeId, targetPath, err: error.message }, 'removing the bind of the failed publish failed'));
  }

  private async unpublishLocked(volumeId: string, targetPath: string): Promise<void> {
    const { store, targets, mounter, logger } = this;
    const previous = (await store.read(volumeId)) as ManagedVolume | undefined;
    if (previous && previous.targetPath !== targetPath) {
      throw new DomainError('precondition-failed',
        `volume ${volumeId} is published at another target path; ${targetPath} is left alone and nothing was changed`);
    }
    this.renewer.cancel(volumeId);
    this.issuer.forget(volumeId);
    let state = await targets.classify(targetPath, volumeId);
    const ours = state === 'ours' || state === 'stale';
    for (let i = 0; i < MAX_STACKED_BINDS && (state === 'ours' || state === 'stale'); i++) {
      await mounter.unmount(targetPath);
      state = await targets.classify(targetPath, volumeId);
    }
    if (state === 'foreign') logger.warn({ volumeId, targetPath }, 'target path is a mount point that is not ours: left mounted');
    else if (previous || ours) await removeEmptyTarget(targetPath);
    await this.observer.volumeRemoved(volumeId);
    await store.remove(volumeId);
    this.metrics.forgetVolume(volumeId);
    this.managed.delete(volumeId);
    this.metrics.managedVolumeCount(this.managed.size);
  }

  private reportReissued(meta: ManagedVolume): void {
    const message = `the driver's data root tmpfs was lost, so volume ${meta.volumeId} was issued a new SVID; ` +
      'containers already running keep the previous files until the Pod is restarted';
    this.logger.warn({ volumeId: meta.volumeId }, message);
    this.issuance.warnPod(meta, 'SvidReissued', message);
  }

  /** Schedules renewal unless one (possibly a backoff retry) is already pending. */
  private ensureRenewal(meta: ManagedVolume): void {
    if (this.renewer.nextAt(meta.volumeId) === undefined) this.renewer.scheduleFrom(meta);
  }

  private async discard(volumeId: string): Promise<void> {
    await this.observer.volumeRemoved(volumeId);
    await this.store.remove(volumeId).catch((error: Error) =>
      this.logger.warn({ volumeId, err: error.message }, 'removing the failed volume left files behind'));
  }
}

/**
 * CSI: the SP "MUST delete the file or directory it created at this path" (csi-lib does the same
 * with CleanupMountPoint). Only an empty directory goes: anything else there is not ours.
 */
async function removeEmptyTarget(targetPath: string): Promise<void> {
  await rmdir(targetPath).catch((error: NodeJS.ErrnoException) => {
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes(error.code ?? '')) throw error;
  });
}

/** Every failure leaves the manager as a DomainError; an unexpected one names what was being done. */
function asDomainError(error: unknown, doing: string): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof DataRootLostError) return new DomainError('unavailable', `${doing}: ${error.message}`);
  return new DomainError('internal', `${doing}: ${(error as Error)?.message ?? String(error)}`);
}
