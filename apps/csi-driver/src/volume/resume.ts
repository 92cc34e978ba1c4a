import type { Logger } from 'pino';
import { isIssued, type ManagedVolume } from './managed-volume';
import type { Renewer } from './renewer';
import type { MetadataStore } from './ports';
import type { VolumeObserver } from './volume-observer';

/**
 * After a restart: every volume that has metadata and a certificate goes back on the renewal
 * schedule (overdue ones at once); volumes that never got a certificate are left for kubelet's
 * next publish. Returns the resumed volume ids. Directories without metadata were already deleted
 * by StorageModule's init, which Nest runs before this module's bootstrap.
 * The observer (the Workload API) hears of every resumed volume from here, from the one pass over
 * the metadata, instead of listing and reading all of it again itself.
 */
export async function resumeVolumes(deps: {
  store: MetadataStore;
  renewer: Renewer;
  observer: VolumeObserver;
  logger: Logger;
}): Promise<string[]> {
  const { store, renewer, observer, logger } = deps;
  // Read everything before scheduling anything: overdue volumes renew at once, and 1,000 renewals
  // competing with the reads kept a restarted driver unready for ~13 s instead of well under 1 s.
  const issued: ManagedVolume[] = [];
  for (const volumeId of await store.list()) {
    const meta = (await store.read(volumeId)) as ManagedVolume | undefined;
    if (!meta || !isIssued(meta)) {
      logger.info({ volumeId }, 'volume was never issued; waiting for kubelet to publish it again');
      continue;
    }
    issued.push(meta);
  }
  const resumed = issued.map((meta) => meta.volumeId);
  // Latest renewal first: the observer takes resumed volumes up in this order, and an overdue
  // volume's renewal, which runs at once, usually serves it before its turn comes (and supersedes it).
  issued.sort((a, b) => renewalTime(b) - renewalTime(a));
  for (const meta of issued) {
    observer.volumeResumed(meta);
    renewer.scheduleFrom(meta); // a past nextIssuanceTime runs at once
  }
  logger.info({ count: issued.length }, 'resumed renewal of existing volumes');
  return resumed;
}

function renewalTime(meta: ManagedVolume): number {
  return Date.parse(meta.nextIssuanceTime ?? '') || 0;
}
