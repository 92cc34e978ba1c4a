import { rmdir } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CsiError } from '../csi/csi-error';
import type { DataRoot } from '../storage/data-root';
import { VolumeLayout } from '../storage/volume-layout';
import type { KeyedMutex } from './keyed-mutex';
import { isIssued, withIdentity, type ManagedVolume } from './managed-volume';
import type { Renewer } from './renewer';
import type { MetadataStore, Mounter } from './seams';
import type { VolumeIssuance } from './volume-issuance';
import type { VolumeMetrics } from './volume-metrics';

/** The contract seam the gRPC Node service calls (docs/module-contracts.md, "Driver seams"). */
export const VOLUME_MANAGER = Symbol('VOLUME_MANAGER');

export interface PublishRequest {
  volumeId: string;
  targetPath: string;
  volumeContext: Record<string, string>;
  fsGroup?: number; // resolved from attribute or volume_mount_group
  identity: VolumeIdentity;
}

/** Who the volume is for: from the Pod's ServiceAccount token, checked against the Pod info. */
export interface VolumeIdentity {
  namespace: string;
  serviceAccount: string;
  spiffeId: string;
  token: string;
  tokenExpiresAt?: Date;
  podName?: string;
  podUid?: string;
}

export interface VolumeManager {
  publish(req: PublishRequest): Promise<void>; // throws CsiError
  unpublish(volumeId: string, targetPath: string): Promise<void>;
  ready(): Promise<{ ready: boolean; reason?: string }>;
}

export interface VolumeManagerDeps {
  store: MetadataStore;
  mounter: Mounter;
  dataRoot: Pick<DataRoot, 'path' | 'status'>;
  issuance: VolumeIssuance;
  renewer: Renewer;
  forgetPending: (volumeId: string) => void;
  mutex: KeyedMutex;
  metrics: VolumeMetrics;
  logger: Logger;
}

/**
 * Publish = issue (once) + bind read-only + keep renewed; unpublish = stop + unmount + delete.
 * Everything for one volume runs under that volume's lock, so a second concurrent publish waits
 * for the first and then finds the volume issued and mounted (csi-lib PR #211: no empty mounts).
 */
export class DefaultVolumeManager implements VolumeManager {
  private readonly layout: VolumeLayout;
  private readonly managed = new Set<string>();
  private started = false;

  constructor(private readonly deps: VolumeManagerDeps) {
    this.layout = new VolumeLayout(deps.dataRoot.path);
  }

  /** Called once startup resume is done: from here on the driver reports ready. */
  markStarted(resumedVolumeIds: string[] = []): void {
    for (const id of resumedVolumeIds) this.managed.add(id);
    this.deps.metrics.managedVolumeCount(this.managed.size);
    this.started = true;
  }

  async publish(req: PublishRequest): Promise<void> {
    const done = this.deps.metrics.publishTimer();
    try {
      await this.deps.mutex.run(req.volumeId, () => this.publishLocked(req));
      done('ok');
    } catch (error) {
      done('error');
      throw asCsiError(error, `publishing volume ${req.volumeId}`);
    }
  }

  async unpublish(volumeId: string, targetPath: string): Promise<void> {
    try {
      await this.deps.mutex.run(volumeId, async () => {
        this.deps.renewer.cancel(volumeId);
        this.deps.forgetPending(volumeId);
        if (await this.deps.mounter.isMountPoint(targetPath)) await this.deps.mounter.unmount(targetPath);
        await removeEmptyTarget(targetPath);
        await this.deps.store.remove(volumeId);
        this.deps.metrics.forgetVolume(volumeId);
        this.managed.delete(volumeId);
        this.deps.metrics.managedVolumeCount(this.managed.size);
      });
      this.deps.logger.info({ volumeId }, 'volume unpublished');
    } catch (error) {
      throw asCsiError(error, `unpublishing volume ${volumeId}`);
    }
  }

  async ready(): Promise<{ ready: boolean; reason?: string }> {
    if (!this.started) return { ready: false, reason: 'volume manager is still resuming volumes' };
    const root = await this.deps.dataRoot.status();
    if (!root.tmpfsMounted) return { ready: false, reason: `data root ${root.path} is not a mounted tmpfs` };
    return { ready: true };
  }

  private async publishLocked(req: PublishRequest): Promise<void> {
    const { store, mounter, logger } = this.deps;
    const previous = (await store.read(req.volumeId)) as ManagedVolume | undefined;
    const mounted = await mounter.isMountPoint(req.targetPath);
    let meta = withIdentity(req, req.identity, previous);

    if (isIssued(previous) && mounted) {
      // Kubelet's periodic republish (requiresRepublish): keep the fresh token for renewals.
      await store.write(meta);
      this.ensureRenewal(meta);
      logger.debug({ volumeId: req.volumeId }, 'republish: token refreshed');
      return;
    }

    try {
      await store.write(meta);
      if (!isIssued(previous)) meta = await this.deps.issuance.issue(meta);
      if (!mounted) await mounter.bindReadOnly(this.layout.dataDir(req.volumeId), req.targetPath);
    } catch (error) {
      // A volume that never got a certificate leaves nothing behind; the pending request (kept by
      // the issuer) lets kubelet's retry pick up where this attempt stopped.
      if (!isIssued(previous)) await this.discard(req.volumeId);
      throw error;
    }
    this.ensureRenewal(meta);
    this.managed.add(req.volumeId);
    this.deps.metrics.managedVolumeCount(this.managed.size);
    logger.info({ volumeId: req.volumeId, spiffeId: meta.spiffeId, nextIssuanceTime: meta.nextIssuanceTime }, 'volume published');
  }

  /** Schedules renewal unless one (possibly a backoff retry) is already pending. */
  private ensureRenewal(meta: ManagedVolume): void {
    if (this.deps.renewer.nextAt(meta.volumeId) === undefined) this.deps.renewer.scheduleFrom(meta);
  }

  private async discard(volumeId: string): Promise<void> {
    await this.deps.store.remove(volumeId).catch((error: Error) =>
      this.deps.logger.warn({ volumeId, err: error.message }, 'removing the failed volume left files behind'));
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

function asCsiError(error: unknown, doing: string): CsiError {
  if (error instanceof CsiError) return error;
  return new CsiError(status.INTERNAL, `${doing}: ${(error as Error)?.message ?? String(error)}`);
}
