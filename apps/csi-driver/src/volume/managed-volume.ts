import type { IssuanceTarget } from '../issuance/svid-issuer';
import { CONTEXT_POD_NAME, CONTEXT_POD_UID } from './volume-context-keys';
import type { VolumeMetadata } from './ports';
import type { VolumeIdentity } from './volume-request';

// The Pod's token lives in the volume context, under a key the metadata store's redaction masks
// ("token"), so a logged metadata never shows it. Kubelet refreshes it on every republish.
export const RENEWAL_TOKEN_KEY = 'spiffe.csi.cert-manager.io/renewal-token';

/** VolumeMetadata plus who the volume belongs to; stored as extra fields (the store keeps them). */
export interface ManagedVolume extends VolumeMetadata {
  /** The issuing request's status.ca (PEM): the Workload API's bundle without --source-ca-bundle. */
  issuerCaPem?: string;
  identity?: {
    namespace: string;
    serviceAccount: string;
    podName?: string;
    podUid?: string;
    tokenExpiresAt?: string;
  };
}

/** The metadata to store for a publish: fresh context and token, earlier issuance facts kept. */
export function withIdentity(
  base: { volumeId: string; targetPath: string; volumeContext: Record<string, string>; fsGroup?: number },
  identity: VolumeIdentity,
  previous?: ManagedVolume,
): ManagedVolume {
  const meta: ManagedVolume = {
    ...previous,
    volumeId: base.volumeId,
    targetPath: base.targetPath,
    volumeContext: { ...base.volumeContext, [RENEWAL_TOKEN_KEY]: identity.token },
    spiffeId: identity.spiffeId,
    identity: {
      namespace: identity.namespace,
      serviceAccount: identity.serviceAccount,
      podName: identity.podName ?? base.volumeContext[CONTEXT_POD_NAME],
      podUid: identity.podUid ?? base.volumeContext[CONTEXT_POD_UID],
      tokenExpiresAt: identity.tokenExpiresAt?.toISOString(),
    },
  };
  if (base.fsGroup === undefined) delete meta.fsGroup;
  else meta.fsGroup = base.fsGroup;
  return meta;
}

/** The issuance target stored for a volume, or the reason renewal cannot proceed. */
export function issuanceTarget(meta: ManagedVolume): IssuanceTarget | string {
  const token = meta.volumeContext[RENEWAL_TOKEN_KEY];
  if (!meta.identity || !meta.spiffeId) return 'metadata holds no identity';
  if (!token) return 'metadata holds no ServiceAccount token';
  return {
    volumeId: meta.volumeId,
    namespace: meta.identity.namespace,
    spiffeId: meta.spiffeId,
    token,
    podName: meta.identity.podName,
    podUid: meta.identity.podUid,
  };
}

/** True when the stored token is known to have expired at `now`. */
export function tokenExpired(meta: ManagedVolume, now: Date): boolean {
  const expiresAt = meta.identity?.tokenExpiresAt;
  return expiresAt !== undefined && Date.parse(expiresAt) <= now.getTime();
}

export function isIssued(meta: ManagedVolume | undefined): boolean {
  return !!meta?.nextIssuanceTime && !!meta.notAfter;
}
