import { status } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { CsiError } from './csi-error';
import { CsiRpc } from './csi-rpc.decorator';
import type {
  Empty,
  NodeGetCapabilitiesResponse,
  NodeGetInfoResponse,
  NodePublishVolumeRequest,
  NodeUnpublishVolumeRequest,
} from './csi-types';
import {
  type CsiServiceOptions,
  OPTIONS,
  VOLUME_MANAGER,
  type VolumeManager,
} from './ports';
import { validatePublishRequest, validateUnpublishRequest } from './publish-request';

function unsupported(rpc: string, capability: string): CsiError {
  return new CsiError(
    status.UNIMPLEMENTED,
    `${rpc} is not supported: this driver does not advertise ${capability}`,
  );
}

@Controller()
export class NodeController {
  constructor(
    @Inject(OPTIONS) private readonly options: CsiServiceOptions,
    @Inject(VOLUME_MANAGER) private readonly volumes: VolumeManager,
  ) {}

  @CsiRpc('Node', 'NodeGetInfo')
  nodeGetInfo(): NodeGetInfoResponse {
    if (!this.options.nodeId) throw new CsiError(status.UNAVAILABLE, 'node ID is not configured');
    return { node_id: this.options.nodeId };
  }

  /** VOLUME_MOUNT_GROUP makes kubelet hand us the Pod's fsGroup instead of chown-ing the files itself. */
  @CsiRpc('Node', 'NodeGetCapabilities')
  nodeGetCapabilities(): NodeGetCapabilitiesResponse {
    return { capabilities: [{ rpc: { type: 'VOLUME_MOUNT_GROUP' } }] };
  }

  @CsiRpc('Node', 'NodePublishVolume')
  async nodePublishVolume(request: NodePublishVolumeRequest): Promise<Empty> {
    const publish = validatePublishRequest(request, {
      trustDomain: this.options.trustDomain,
      kubeletRootDir: this.options.kubeletRootDir,
    });
    await this.volumes.publish(publish);
    return {};
  }

  @CsiRpc('Node', 'NodeUnpublishVolume')
  async nodeUnpublishVolume(request: NodeUnpublishVolumeRequest): Promise<Empty> {
    const { volumeId, targetPath } = validateUnpublishRequest(request, {
      kubeletRootDir: this.options.kubeletRootDir,
    });
    await this.volumes.unpublish(volumeId, targetPath);
    return {};
  }

  @CsiRpc('Node', 'NodeStageVolume')
  nodeStageVolume(): never {
    throw unsupported('NodeStageVolume', 'STAGE_UNSTAGE_VOLUME');
  }

  @CsiRpc('Node', 'NodeUnstageVolume')
  nodeUnstageVolume(): never {
    throw unsupported('NodeUnstageVolume', 'STAGE_UNSTAGE_VOLUME');
  }

  @CsiRpc('Node', 'NodeGetVolumeStats')
  nodeGetVolumeStats(): never {
    throw unsupported('NodeGetVolumeStats', 'GET_VOLUME_STATS');
  }

  @CsiRpc('Node', 'NodeExpandVolume')
  nodeExpandVolume(): never {
    throw unsupported('NodeExpandVolume', 'EXPAND_VOLUME');
  }
}
