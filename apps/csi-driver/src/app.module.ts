import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ConfigModule, type DriverOptions } from '@spiffe-csi/config';
import { KubernetesModule } from '@spiffe-csi/kubernetes';
import { ObservabilityModule } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { CsiModule } from './csi';
import { DriverHealth } from './driver-health';
import { StorageModule } from './storage';
import { VolumeModule } from './volume/volume.module';
import { workloadApiProviders } from './workload-api/workload-api.providers';

/**
 * The node driver: CSI gRPC services over the volume lifecycle, on a tmpfs data root, with
 * health and metrics, and a SPIFFE Workload API in every volume. `overrides` swap the issuer and CA sources (runtime ConfigMap, CA watcher).
 */
@Module({})
export class AppModule {
  static forRoot(options: DriverOptions, logger: Logger, overrides: Provider[] = []): DynamicModule {
    const volumes = VolumeModule.forRoot({ overrides: [...overrides, ...workloadApiProviders(options)] });
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options, logger),
        KubernetesModule.forRoot({ kubeconfig: options.kubeconfig, logger: logger.child({ component: 'kubernetes' }) }),
        ObservabilityModule.forRoot({
          readinessAddress: options.readinessProbeBindAddress,
          metricsAddress: options.metricsBindAddress,
        }),
        StorageModule.forRoot({ dataRoot: options.dataRoot, logger: logger.child({ component: 'storage' }) }),
        volumes,
        CsiModule.forRoot({ imports: [volumes] }),
      ],
      providers: [DriverHealth],
    };
  }
}
