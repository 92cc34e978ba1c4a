import { invalidArgument } from './csi-error';

/** kubelet's plugin directory name for CSI volumes (utilstrings.EscapeQualifiedName("kubernetes.io/csi")). */
const CSI_PLUGIN_DIR = 'kubernetes.io~csi';
/** Pod volume names are DNS-1123 labels (the API server validates them). */
const VOLUME_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Pod UIDs are UUIDs (API objects) or hex hashes (static pods); nothing path-like. */
const POD_UID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

export interface KubeletTarget {
  podUid: string;
  volumeName: string;
}

/**
 * The only place kubelet ever puts an inline CSI volume:
 *   <kubeletRootDir>/pods/<pod-uid>/volumes/kubernetes.io~csi/<volume-name>/mount
 * Anything else is not kubelet asking, so it is refused before anything is touched. Purely
 * textual (the path must already have passed checkTargetPath); symlinks and the data root are
 * checked against the filesystem later, by the volume manager.
 */
export function parseKubeletTargetPath(targetPath: string, kubeletRootDir: string): KubeletTarget {
  const prefix = `${kubeletRootDir}/pods/`;
  const shape = `${prefix}<pod-uid>/volumes/${CSI_PLUGIN_DIR}/<volume-name>/mount`;
  const parts = targetPath.startsWith(prefix) ? targetPath.slice(prefix.length).split('/') : [];
  const [podUid, volumes, plugin, volumeName, mount] = parts;
  if (parts.length !== 5 || volumes !== 'volumes' || plugin !== CSI_PLUGIN_DIR || mount !== 'mount') {
    throw invalidArgument(`target_path must have kubelet's shape ${shape}`);
  }
  if (!POD_UID.test(podUid)) throw invalidArgument(`target_path's pod UID segment is not a pod UID (expected ${shape})`);
  if (!VOLUME_NAME.test(volumeName)) {
    throw invalidArgument(`target_path's volume name segment is not a DNS-1123 label (expected ${shape})`);
  }
  return { podUid, volumeName };
}

/** Publish: the path's pod UID must be the Pod kubelet says it is publishing for. */
export function checkTargetBelongsToPod(target: KubeletTarget, podUid: string | undefined): void {
  if (!podUid) {
    throw invalidArgument(
      'volume_context["csi.storage.k8s.io/pod.uid"] is missing: the CSIDriver must set podInfoOnMount: true',
    );
  }
  if (target.podUid !== podUid) {
    throw invalidArgument(
      `target_path belongs to pod UID ${JSON.stringify(target.podUid)}, but the volume is published for pod UID ${JSON.stringify(podUid)}`,
    );
  }
}
