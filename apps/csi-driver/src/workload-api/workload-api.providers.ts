import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { LOGGER, type DriverOptions } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, type CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import { ISSUANCE_EVENTS, type IssuanceEvents } from '../issuance/ports';
import type { SvidFileReader } from '../storage/svid-files';
import { SVID_READER } from '../storage/ports';
import { svidFileNames } from '../volume/svid-payload';
import { warnVolumePod } from '../volume/volume-issuance';
import { VOLUME_OBSERVER } from '../volume/volume-observer';
import { WorkloadApiHub } from './workload-hub';
import { MAX_CONNECTIONS_PER_SOCKET, WorkloadApiServer } from './workload-server';
import { WorkloadVolumes } from './workload-volumes';

/**
 * CA bundle changes are served at once; on shutdown, streams end cleanly. (On boot, every resumed
 * volume gets its endpoint back through VOLUME_OBSERVER, reported by the resume.)
 */
@Injectable()
class WorkloadApiLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe?: () => void;

  constructor(
    @Inject(WorkloadVolumes) private readonly volumes: WorkloadVolumes,
    @Inject(WorkloadApiHub) private readonly hub: WorkloadApiHub,
    @Inject(CA_BUNDLE_SOURCE) private readonly caBundle: CaBundleSource,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.caBundle.onChange(() => void this.volumes.bundleChanged());
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    await this.volumes.closeAll();
    this.hub.close();
  }
}

/** Logs refused connections of one socket at the 1st, 10th, 100th, ...: a flood must not flood the log too. */
function refusalLogger(logger: Logger, socketPath: string): () => void {
  let refused = 0;
  return () => {
    refused++;
    if (Number.isInteger(Math.log10(refused))) {
      logger.warn({ socketPath, refused, max: MAX_CONNECTIONS_PER_SOCKET }, 'Workload API: connection refused, the socket has its maximum open');
    }
  };
}

/**
 * The per-volume SPIFFE Workload API, for VolumeModule's overrides: it observes the volumes
 * (VOLUME_OBSERVER). None with an empty --workload-api-socket-name.
 */
export function workloadApiProviders(options: DriverOptions): Provider[] {
  if (!options.workloadApiSocketName) return [];
  return [
    { provide: WorkloadApiHub, useFactory: () => new WorkloadApiHub() },
    {
      provide: WorkloadVolumes,
      useFactory: (reader: SvidFileReader, caBundle: CaBundleSource, events: IssuanceEvents, logger: Logger, hub: WorkloadApiHub) =>
        new WorkloadVolumes({
          dataRoot: options.dataRoot,
          socketName: options.workloadApiSocketName,
          fileNames: svidFileNames(options),
          reader, caBundle, logger,
          open: (socketPath, gid) => WorkloadApiServer.open(socketPath, gid, { hub, onRefused: refusalLogger(logger, socketPath) }),
          warnPod: (meta, reason, message) => warnVolumePod(events, meta, reason, message),
        }),
      inject: [SVID_READER, CA_BUNDLE_SOURCE, ISSUANCE_EVENTS, LOGGER, WorkloadApiHub],
    },
    { provide: VOLUME_OBSERVER, useExisting: WorkloadVolumes },
    WorkloadApiLifecycle,
  ];
}
