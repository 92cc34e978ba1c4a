import type { Logger } from 'pino';
import { isIssued, type ManagedVolume } from './managed-volume';
import type { Renewer } from './renewer';
import type { MetadataStore, OrphanCleaner } from './seams';

/**
 * After a restart: every volume that has metadata and a certificate goes back on the renewal
 * schedule (overdue ones at once); directories without metadata are deleted; volumes that never
 * got a certificate are left for kubelet's next publish. Returns the resumed volume ids.
 */
export async function resumeVolumes(deps: {
  store: MetadataStore;
  orphans?: OrphanCleaner;
  renewer: Renewer;
  logger: Logger;
}): Promise<string[]> {
  const { store, renewer, logger } = deps;
  if (deps.orphans) {
    const removed = await deps.orphans.cleanupOrphans();
    if (removed.length > 0) logger.warn({ volumeIds: removed }, 'removed volume directories without metadata');
  }
  const resumed: string[] = [];
  for (const volumeId of await store.list()) {
    const meta = (await store.read(volumeId)) as ManagedVolume | undefined;
    if (!meta || !isIssued(meta)) {
      logger.info({ volumeId }, 'volume was never issued; waiting for kubelet to publish it again');
      continue;
    }
    renewer.scheduleFrom(meta); // a past nextIssuanceTime runs at once
    resumed.push(volumeId);
  }
  logger.info({ count: resumed.length }, 'resumed renewal of existing volumes');
  return resumed;
}
