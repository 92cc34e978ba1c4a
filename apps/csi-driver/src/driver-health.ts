import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HealthRegistry } from '@spiffe-csi/observability';
import { VOLUME_MANAGER, type VolumeManager } from './volume/volume-manager';

/** /readyz follows the same verdict as the CSI Probe: data root mounted and volumes resumed. */
@Injectable()
export class DriverHealth implements OnApplicationBootstrap {
  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(VOLUME_MANAGER) private readonly manager: VolumeManager,
  ) {}

  onApplicationBootstrap(): void {
    this.health.addReadinessCheck('volume-manager', async () => {
      const { ready, reason } = await this.manager.ready();
      return { healthy: ready, reason };
    });
  }
}
