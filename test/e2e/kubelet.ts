// Acts as kubelet does for an ephemeral CSI volume: builds the volume context (pod info, the
// empty-audience ServiceAccount token) and kubelet's target path,
// <kubelet-root>/pods/<pod-uid>/volumes/kubernetes.io~csi/<volume-name>/mount, the only shape the
// driver accepts (podsDir is <kubelet-root>/pods; the driver gets --kubelet-root-dir).
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { KubeSim } from '../kube-sim';

export interface PodSpec {
  namespace: string;
  serviceAccount: string;
  name?: string;
  uid?: string;
  fsGroup?: number;
  volumeAttributes?: Record<string, string>;
  /** The Pod's name for the volume (default "spiffe"; kubelet allows up to 63 characters). */
  volumeName?: string;
}

export interface PodVolume {
  pod: Required<Omit<PodSpec, 'fsGroup' | 'volumeAttributes' | 'volumeName'>>;
  volumeId: string;
  targetPath: string;
  request: Record<string, unknown>;
}

/** Where tokens come from: kube-sim itself, or a token the real tier got through TokenRequest. */
export type TokenSource = Pick<KubeSim, 'serviceAccountToken'>;

/** The NodePublishVolume request kubelet sends, with a fresh token each call (requiresRepublish). */
export function podVolume(sim: TokenSource, podsDir: string, spec: PodSpec, driverName = 'spiffe.csi.cert-manager.io'): PodVolume {
  const pod = { namespace: spec.namespace, serviceAccount: spec.serviceAccount,
    name: spec.name ?? `${spec.serviceAccount}-${randomUUID().slice(0, 5)}`, uid: spec.uid ?? randomUUID() };
  // kubelet names ephemeral inline volumes csi-<sha256(podUID + driver + volume name)>.
  const volumeName = spec.volumeName ?? 'spiffe';
  const volumeId = `csi-${createHash('sha256').update(`${pod.uid}${driverName}${volumeName}`).digest('hex')}`;
  const targetPath = join(podsDir, pod.uid, 'volumes', 'kubernetes.io~csi', volumeName, 'mount');
  const publishRequest = (): Record<string, unknown> => {
    const expirationSeconds = 3600;
    // An empty audience means the API server's own audience, which is what the token carries.
    const token = sim.serviceAccountToken(pod.namespace, pod.serviceAccount, {
      podName: pod.name, podUid: pod.uid, expirationSeconds,
    });
    return {
      volume_id: volumeId,
      target_path: targetPath,
      readonly: true,
      volume_capability: {
        mount: { fs_type: '', mount_flags: [], volume_mount_group: spec.fsGroup ? String(spec.fsGroup) : '' },
        access_mode: { mode: 'SINGLE_NODE_WRITER' },
      },
      volume_context: {
        'csi.storage.k8s.io/ephemeral': 'true',
        'csi.storage.k8s.io/pod.name': pod.name,
        'csi.storage.k8s.io/pod.namespace': pod.namespace,
        'csi.storage.k8s.io/pod.uid': pod.uid,
        'csi.storage.k8s.io/serviceAccount.name': pod.serviceAccount,
        'csi.storage.k8s.io/serviceAccount.tokens': JSON.stringify({
          '': { token, expirationTimestamp: new Date(Date.now() + expirationSeconds * 1000).toISOString() },
        }),
        ...spec.volumeAttributes,
      },
    };
  };
  return {
    pod, volumeId, targetPath,
    get request() {
      return publishRequest();
    },
  };
}
