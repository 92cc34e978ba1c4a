import { status } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import packageJson from '../../../../package.json';
import { CsiError } from './csi-error';
import { CsiRpc } from './csi-rpc.decorator';
import type {
  GetPluginCapabilitiesResponse,
  GetPluginInfoResponse,
  ProbeResponse,
} from './csi-types';
import {
  type CsiLogger,
  type CsiServiceOptions,
  LOGGER,
  OPTIONS,
  VOLUME_MANAGER,
  type VolumeManager,
} from './ports';

export const DRIVER_VERSION: string = packageJson.version;

@Controller()
export class IdentityController {
  constructor(
    @Inject(OPTIONS) private readonly options: CsiServiceOptions,
    @Inject(VOLUME_MANAGER) private readonly volumes: VolumeManager,
    @Inject(LOGGER) private readonly logger: CsiLogger,
  ) {}

  @CsiRpc('Identity', 'GetPluginInfo')
  getPluginInfo(): GetPluginInfoResponse {
    // The registrar registers the plugin under this name; an empty one must not be announced.
    if (!this.options.csiDriverName)
      throw new CsiError(status.UNAVAILABLE, 'driver name is not configured');
    return { name: this.options.csiDriverName, vendor_version: DRIVER_VERSION, manifest: {} };
  }

  /**
   * Advertises nothing. This is a node-only driver for inline ephemeral volumes: nothing ever calls
   * a Controller service for it (no provisioner or attacher is deployed), so claiming
   * CONTROLLER_SERVICE, as the Go original did, would only promise RPCs that answer UNIMPLEMENTED.
   */
  @CsiRpc('Identity', 'GetPluginCapabilities')
  getPluginCapabilities(): GetPluginCapabilitiesResponse {
    return { capabilities: [] };
  }

  @CsiRpc('Identity', 'Probe')
  async probe(): Promise<ProbeResponse> {
    const { ready, reason } = await this.volumes.ready();
    if (!ready) this.logger.info({ reason }, 'probe: driver not ready');
    return { ready: { value: ready } };
  }
}
