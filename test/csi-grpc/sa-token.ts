/**
 * Builds Kubernetes-shaped projected service account JWTs for tests. The signature is random bytes:
 * the driver only decodes claims (the API server verifies the token when it is used).
 */
import { randomBytes } from 'node:crypto';
import { CONTEXT_SERVICE_ACCOUNT_TOKENS } from '../../apps/csi-driver/src/volume/volume-context-keys';

export interface TestTokenClaims {
  namespace?: string;
  serviceAccount?: string;
  podName?: string;
  podUid?: string;
  /** Seconds since the epoch; default one hour from now. */
  exp?: number;
  alg?: string;
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function makeServiceAccountJwt(claims: TestTokenClaims = {}): string {
  const namespace = claims.namespace ?? 'sandbox';
  const serviceAccount = claims.serviceAccount ?? 'app';
  const podName = claims.podName ?? 'app-7d9f';
  const podUid = claims.podUid ?? '0c9f1f6e-5a43-4f0b-9d61-3a1f7d3c2b10';
  const exp = claims.exp ?? Math.floor(Date.now() / 1000) + 3600;
  const header = { alg: claims.alg ?? 'RS256', kid: 'test-key' };
  const payload = {
    aud: ['https://kubernetes.default.svc.cluster.local'],
    exp,
    iat: exp - 3600,
    iss: 'https://kubernetes.default.svc.cluster.local',
    'kubernetes.io': {
      namespace,
      pod: { name: podName, uid: podUid },
      serviceaccount: { name: serviceAccount, uid: '5a4c2e0e-1d0f-4c55-8f4e-6e9b9d7f3a21' },
    },
    nbf: exp - 3600,
    sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
  };
  return `${b64url(header)}.${b64url(payload)}.${randomBytes(256).toString('base64url')}`;
}

/** Kubelet's serviceAccount.tokens value for a single empty-audience token. */
export function tokensContextValue(token: string, expirationTimestamp?: Date): string {
  const entry: Record<string, string> = { token };
  if (expirationTimestamp) entry.expirationTimestamp = expirationTimestamp.toISOString();
  return JSON.stringify({ '': entry });
}

export interface PublishFixture {
  token: string;
  request: {
    volume_id: string;
    target_path: string;
    volume_capability: {
      mount: { fs_type: string; mount_flags: string[]; volume_mount_group: string };
      access_mode: { mode: string };
    };
    readonly: boolean;
    secrets: Record<string, string>;
    volume_context: Record<string, string>;
  };
}

/** A NodePublishVolume request as kubelet sends it for an inline csi-driver-spiffe volume. */
export function validPublishFixture(claims: TestTokenClaims = {}): PublishFixture {
  const token = makeServiceAccountJwt(claims);
  return {
    token,
    request: {
      volume_id: 'csi-4b1c3d0f7e2a9b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c',
      target_path:
        '/var/lib/kubelet/pods/0c9f1f6e-5a43-4f0b-9d61-3a1f7d3c2b10/volumes/kubernetes.io~csi/spiffe/mount',
      volume_capability: {
        mount: { fs_type: '', mount_flags: [], volume_mount_group: '' },
        access_mode: { mode: 'SINGLE_NODE_WRITER' },
      },
      readonly: true,
      secrets: {},
      volume_context: {
        'csi.storage.k8s.io/ephemeral': 'true',
        'csi.storage.k8s.io/pod.name': claims.podName ?? 'app-7d9f',
        'csi.storage.k8s.io/pod.namespace': claims.namespace ?? 'sandbox',
        'csi.storage.k8s.io/pod.uid': claims.podUid ?? '0c9f1f6e-5a43-4f0b-9d61-3a1f7d3c2b10',
        'csi.storage.k8s.io/serviceAccount.name': claims.serviceAccount ?? 'app',
        [CONTEXT_SERVICE_ACCOUNT_TOKENS]: tokensContextValue(token),
      },
    },
  };
}
