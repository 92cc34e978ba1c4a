import { DomainError } from '../domain-error';
import type { TokenVerifier } from '../issuance/ports';
import { RENEWAL_TOKEN_KEY, isIssued, type ManagedVolume } from './managed-volume';
import { spiffeIdsShownAt } from './target-guard';
import type { PublishRequest } from './volume-request';

/**
 * A volume belongs to the Pod it was first published for: a later publish of the same volume_id
 * must present the same namespace, ServiceAccount and Pod UID, at the same target path (kubelet
 * uses one target per ephemeral volume). Returns the refusal, or undefined when it matches.
 * Messages say which part differs but never echo the stored values or any token.
 */
export function bindingMismatch(stored: ManagedVolume, req: PublishRequest): DomainError | undefined {
  const id = req.volumeId;
  if (stored.targetPath !== req.targetPath) {
    return new DomainError('precondition-failed',
      `volume ${id} is already published at another target path; refusing to expose it at ${req.targetPath}`);
  }
  const owner = stored.identity;
  const parts: [string, string | undefined, string | undefined][] = [
    ['namespace', owner?.namespace, req.identity.namespace],
    ['service account', owner?.serviceAccount, req.identity.serviceAccount],
    ['pod UID', owner?.podUid, req.identity.podUid],
  ];
  for (const [what, was, now] of parts) {
    // Metadata from before pod UIDs were recorded has none; the target path (which holds it) matched.
    if (what === 'pod UID' && was === undefined) continue;
    if (was !== now) {
      return new DomainError('forbidden',
        `volume ${id} belongs to another ${what} than the presented ${JSON.stringify(now ?? '')}; nothing was changed`);
    }
  }
  return undefined;
}

/**
 * A stored token only gives way to one the API server has accepted: the driver cannot verify a
 * JWT's signature, and a forged token with the right claims would otherwise replace the victim's
 * working token and stop its renewals. Kubelet rotates tokens at ~80 % of their life, so most
 * republishes carry the stored token and cost no API call.
 */
export async function acceptPresentedToken(stored: ManagedVolume | undefined, req: PublishRequest,
  verifier: TokenVerifier): Promise<void> {
  if (!isIssued(stored) || stored?.volumeContext[RENEWAL_TOKEN_KEY] === req.identity.token) return;
  let genuine: boolean;
  try {
    genuine = await verifier.authenticates(req.identity.token);
  } catch (error) {
    throw new DomainError('unavailable',
      `cannot verify the fresh ServiceAccount token of volume ${req.volumeId} with the API server ` +
        `(${(error as Error).message}); the volume keeps its stored token`);
  }
  if (!genuine) {
    throw new DomainError('unauthenticated',
      `the API server rejected the ServiceAccount token presented for volume ${req.volumeId}; the volume keeps its stored token`);
  }
}

/**
 * After the data root was lost the stored identity is gone with it, but the Pod's stale bind still
 * shows its certificate: a re-issue must be for that same SPIFFE ID, so the window after a loss is
 * no chance to re-bind the volume to another ServiceAccount.
 */
export async function checkStaleBindIdentity(req: PublishRequest): Promise<void> {
  const shown = await spiffeIdsShownAt(req.targetPath);
  if (shown.length > 0 && !shown.includes(req.identity.spiffeId)) {
    throw new DomainError('forbidden',
      `volume ${req.volumeId} was issued to another identity than ${req.identity.spiffeId}; nothing was changed`);
  }
}
