/** What a publish asks of the volume domain, already validated by the CSI edge (csi/publish-request.ts). */
export interface PublishRequest {
  volumeId: string;
  targetPath: string;
  volumeContext: Record<string, string>;
  fsGroup?: number; // resolved from attribute or volume_mount_group
  identity: VolumeIdentity;
}

/** Who the volume is for: from the Pod's ServiceAccount token, checked against the Pod info. */
export interface VolumeIdentity {
  namespace: string;
  serviceAccount: string;
  spiffeId: string;
  token: string;
  tokenExpiresAt?: Date;
  podName?: string;
  podUid?: string;
}
