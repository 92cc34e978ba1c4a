import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InMemoryMetadataStore } from '../storage/testing/in-memory-metadata-store';
import type { ManagedVolume } from './managed-volume';
import type { Renewer } from './renewer';
import { resumeVolumes } from './resume';
import type { VolumeObserver } from './volume-observer';

describe('resumeVolumes', () => {
  it('reports each issued volume to the observer from its one read, latest renewal first, before scheduling its renewal', async () => {
    const store = new InMemoryMetadataStore();
    const issued = (volumeId: string, renewInMs: number): ManagedVolume => ({
      volumeId, targetPath: `/t/${volumeId}`, volumeContext: {}, spiffeId: 'spiffe://example.org/ns/a/sa/b',
      nextIssuanceTime: new Date(Date.now() + renewInMs).toISOString(), notAfter: new Date(Date.now() + 60_000).toISOString(),
    });
    await store.write(issued('vol-1', -1_000)); // overdue: its renewal runs at once and will serve it
    await store.write(issued('vol-2', 30_000));
    await store.write({ volumeId: 'vol-never', targetPath: '/t/never', volumeContext: {} });
    let reads = 0;
    const read = store.read.bind(store);
    store.read = (id) => {
      reads++;
      return read(id);
    };
    const seen: string[] = [];
    const observer: VolumeObserver = {
      svidStored: async () => void seen.push('svidStored'),
      volumeResumed: (meta) => void seen.push(`resumed ${meta.volumeId} ${meta.spiffeId}`),
      volumeRemoved: async () => undefined,
    };
    const renewer = { scheduleFrom: (meta: ManagedVolume) => seen.push(`scheduled ${meta.volumeId}`) } as unknown as Renewer;

    const resumed = await resumeVolumes({ store, renewer, observer, logger: pino({ level: 'silent' }) });
    expect(resumed).toEqual(['vol-1', 'vol-2']);
    expect(seen).toEqual([
      'resumed vol-2 spiffe://example.org/ns/a/sa/b', 'scheduled vol-2',
      'resumed vol-1 spiffe://example.org/ns/a/sa/b', 'scheduled vol-1',
    ]);
    expect(reads).toBe(3);
  });
});
