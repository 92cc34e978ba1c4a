import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { LOGGER, type DriverOptions } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, type CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import { ISSUANCE_EVENTS, type IssuanceEvents } from '../issuance/ports';
import type { SvidFileReader } from '../storage/svid-files';
import { METADATA_STORE, SVID_READER } from '../storage/ports';
import { isIssued, type ManagedVolume } from '../volume/managed-volume';
import type { MetadataStore } from '../volume/ports';
import { svidFileNames } from '../volume/svid-payload';
import { warnVolumePod } from '../volume/volume-issuance';
import { VOLUME_OBSERVER } from '../volume/volume-observer';
import { WorkloadApiServer } from './workload-server';
import { WorkloadVolumes } from './workload-volumes';

/**
 * On boot, every issued volume gets its endpoint back (a restarted driver adopts its volumes);
 * CA bundle changes are served at once; on shutdown, streams end cleanly.
 */
@Injectable()
class WorkloadApiLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe?: () => void;

  constructor(
    @Inject(WorkloadVolumes) private readonly volumes: WorkloadVolumes,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(CA_BUNDLE_SOURCE) private readonly caBundle: CaBundleSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = this.caBundle.onChange(() => void this.volumes.bundleChanged());
    for (const volumeId of await this.store.list()) {
      const meta = (await this.store.read(volumeId)) as ManagedVolume | undefined;
      if (isIssued(meta)) await this.volumes.svidStored(meta as ManagedVolume);
    }
    this.logger.info({ count: this.volumes.volumeIds().length }, 'Workload API endpoints serving');
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    await this.volumes.closeAll();
  }
}

/**
 * The per-volume SPIFFE Workload API, for VolumeModule's overrides: it observes the volumes
 * (VOLUME_OBSERVER). None with an empty --workload-api-socket-name.
 */
export function workloadApiProviders(options: DriverOptions): Provider[] {
  if (!options.workloadApiSocketName) return [];
  return [
    {
      provide: WorkloadVolumes,
      useFactory: (reader: SvidFileReader, caBundle: CaBundleSource, events: IssuanceEvents, logger: Logger) =>
        new WorkloadVolumes({
          dataRoot: options.dataRoot,
          socketName: options.workloadApiSocketName,
          fileNames: svidFileNames(options),
          reader, caBundle, logger,
          open: (socketPath, gid) => WorkloadApiServer.open(socketPath, gid),
          warnPod: (meta, reason, message) => warnVolumePod(events, meta, reason, message),
        }),
      inject: [SVID_READER, CA_BUNDLE_SOURCE, ISSUANCE_EVENTS, LOGGER],
    },
    { provide: VOLUME_OBSERVER, useExisting: WorkloadVolumes },
    WorkloadApiLifecycle,
  ];
}
