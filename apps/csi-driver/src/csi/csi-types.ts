/**
 * The CSI messages as @grpc/proto-loader hands them to handlers with
 * { keepCase: true, defaults: true, oneofs: true, enums: String, longs: String }:
 * snake_case names, absent scalars as '' / false, absent messages as null, and the oneof's
 * chosen member name in a virtual field (e.g. access_type: 'mount').
 */
export type StringMap = Record<string, string>;

export interface MountVolume {
  fs_type: string;
  mount_flags: string[];
  volume_mount_group: string;
}

export interface VolumeCapability {
  block?: Record<string, never> | null;
  mount?: MountVolume | null;
  access_mode?: { mode: string } | null;
  access_type?: 'block' | 'mount';
}

export interface NodePublishVolumeRequest {
  volume_id: string;
  publish_context?: StringMap;
  staging_target_path?: string;
  target_path: string;
  volume_capability: VolumeCapability | null;
  readonly: boolean;
  secrets?: StringMap;
  volume_context: StringMap;
}

export interface NodeUnpublishVolumeRequest {
  volume_id: string;
  target_path: string;
}

export type Empty = Record<string, never>;

export interface GetPluginInfoResponse {
  name: string;
  vendor_version: string;
  manifest: StringMap;
}

export interface PluginCapability {
  service?: { type: string };
  volume_expansion?: { type: string };
}

export interface GetPluginCapabilitiesResponse {
  capabilities: PluginCapability[];
}

export interface ProbeResponse {
  ready: { value: boolean };
}

export interface NodeServiceCapability {
  rpc: { type: string };
}

export interface NodeGetCapabilitiesResponse {
  capabilities: NodeServiceCapability[];
}

export interface NodeGetInfoResponse {
  node_id: string;
  max_volumes_per_node?: string;
  accessible_topology?: { segments: StringMap } | null;
}
