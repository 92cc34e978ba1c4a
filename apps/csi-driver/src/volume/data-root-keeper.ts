import { Inject, Injectable } from '@nestjs/common';
import { LOGGER } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { DomainError } from '../domain-error';
import type { DataRoot } from '../storage/data-root';
import { DATA_ROOT } from '../storage/ports';
import { VolumeMetrics } from './volume-metrics';

/**
 * Recovery when the data root stops being our tmpfs (unmounted, lazily detached, mounted over).
 * Writers already refuse to write then (DataRoot is their WriteGuard) and readiness says why;
 * this puts a fresh tmpfs back before the next publish or renewal, so new keys again go to
 * memory only. What the old tmpfs held is out of reach: running Pods keep their (still valid)
 * files through their own bind mounts, and each volume is re-issued on kubelet's next republish.
 */
@Injectable()
export class DataRootKeeper {
  private remounting: Promise<void> | undefined;

  constructor(
    @Inject(DATA_ROOT) private readonly dataRoot: Pick<DataRoot, 'path' | 'check' | 'ensureMounted'>,
    private readonly metrics: VolumeMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Resolves once the data root is our tmpfs (remounting it if needed); UNAVAILABLE if it cannot be. */
  async ensure(): Promise<void> {
    const state = await this.dataRoot.check();
    if (state.intact) return;
    // Concurrent publishes and renewals share one remount.
    this.remounting ??= this.remount(state.reason).finally(() => (this.remounting = undefined));
    await this.remounting;
  }

  private async remount(reason: string): Promise<void> {
    this.metrics.dataRootLost();
    this.logger.error({ dataRoot: this.dataRoot.path, reason }, 'data root tmpfs lost: nothing is written until a tmpfs is back');
    try {
      await this.dataRoot.ensureMounted();
    } catch (error) {
      throw new DomainError('unavailable', `${reason}; mounting a new tmpfs failed (${(error as Error).message}): ` +
        `the driver writes nothing until its data root is a tmpfs again — check the node's mounts, then restart the driver Pod`);
    }
    this.logger.warn({ dataRoot: this.dataRoot.path },
      'data root tmpfs remounted: volumes published before the loss are re-issued on kubelet\'s next republish; ' +
        'their running containers keep the old files until the Pod is restarted');
  }
}
