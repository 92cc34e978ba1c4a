import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { resolveCsiProtoPath } from '../../apps/csi-driver/src/csi/grpc-options';
import { LOADER_OPTIONS } from './harness';

type Descriptor = {
  type: {
    field?: { name: string; number: number }[];
    value?: { name: string; number: number }[];
  };
};

/**
 * Guards the numbers kubelet depends on (checked against the CSI v1.12 spec): a renumbered field
 * still round-trips between our own client and server, so only a pinned table catches it.
 */
describe('proto/csi.proto wire numbers', () => {
  const definition = protoLoader.loadSync(
    resolveCsiProtoPath(),
    LOADER_OPTIONS,
  ) as unknown as Record<string, Descriptor>;
  const fields = (message: string) =>
    Object.fromEntries(
      (definition[`csi.v1.${message}`].type.field ?? []).map((f) => [f.name, f.number]),
    );

  it.each([
    [
      'NodePublishVolumeRequest',
      {
        volume_id: 1,
        publish_context: 2,
        staging_target_path: 3,
        target_path: 4,
        volume_capability: 5,
        readonly: 6,
        secrets: 7,
        volume_context: 8,
      },
    ],
    ['NodeUnpublishVolumeRequest', { volume_id: 1, target_path: 2 }],
    ['VolumeCapability', { block: 1, mount: 2, access_mode: 3 }],
    ['NodeGetInfoResponse', { node_id: 1, max_volumes_per_node: 2, accessible_topology: 3 }],
    ['NodeGetCapabilitiesResponse', { capabilities: 1 }],
    ['NodeServiceCapability', { rpc: 1 }],
    ['GetPluginInfoResponse', { name: 1, vendor_version: 2, manifest: 3 }],
    ['GetPluginCapabilitiesResponse', { capabilities: 1 }],
    ['ProbeResponse', { ready: 1 }],
  ])('%s', (message, expected) => {
    expect(fields(message)).toEqual(expected);
  });

  it('MountVolume.volume_mount_group is field 3 and VOLUME_MOUNT_GROUP is 6', () => {
    const mount = (
      definition['csi.v1.VolumeCapability'].type as unknown as {
        nestedType: { name: string; field: { name: string; number: number }[] }[];
      }
    ).nestedType.find((t) => t.name === 'MountVolume')!;
    expect(Object.fromEntries(mount.field.map((f) => [f.name, f.number]))).toEqual({
      fs_type: 1,
      mount_flags: 2,
      volume_mount_group: 3,
    });
    const rpc = (
      definition['csi.v1.NodeServiceCapability'].type as unknown as {
        nestedType: {
          name: string;
          enumType: { name: string; value: { name: string; number: number }[] }[];
        }[];
      }
    ).nestedType.find((t) => t.name === 'RPC')!;
    const rpcType = rpc.enumType.find((e) => e.name === 'Type')!;
    expect(rpcType.value.find((v) => v.name === 'VOLUME_MOUNT_GROUP')?.number).toBe(6);
  });
});
