import {
  readServiceAccountTokenClaims,
  SpiffeId,
  type ServiceAccountTokenClaims,
} from '@spiffe-csi/spiffe';
import { invalidArgument } from './csi-error';
import type { NodePublishVolumeRequest, NodeUnpublishVolumeRequest, StringMap } from './csi-types';
import { resolveFsGroup } from './fs-group';
import { workloadApiAttributeProblem } from '../volume/workload-api-attribute';
import type { PublishRequest } from './ports';
import { checkTargetPath, checkVolumeContextSize, checkVolumeId } from './request-rules';
import { readEmptyAudienceToken } from './service-account-tokens';
import { checkTargetBelongsToPod, parseKubeletTargetPath } from './target-path';
import {
  CONTEXT_EPHEMERAL,
  CONTEXT_POD_NAME,
  CONTEXT_POD_NAMESPACE,
  CONTEXT_POD_UID,
  CONTEXT_SERVICE_ACCOUNT_NAME,
} from '../volume/volume-context-keys';

export const READONLY_REQUIRED_MESSAGE = "pod.spec.volumes[].csi.readOnly must be set to 'true'";

export interface PathValidationOptions {
  /** kubelet's --root-dir: target paths are confined to its pods directory. */
  kubeletRootDir: string;
}

export interface PublishValidationOptions extends PathValidationOptions {
  trustDomain: string;
  now?: Date;
}

/**
 * Turns kubelet's NodePublishVolume request into the driver's PublishRequest, or throws
 * CsiError(INVALID_ARGUMENT) naming what the user has to change. Pure: runs before anything is
 * written, so a rejected request leaves no trace on the node.
 */
export function validatePublishRequest(
  req: NodePublishVolumeRequest,
  options: PublishValidationOptions,
): PublishRequest {
  const volumeId = checkVolumeId(req.volume_id);
  const targetPath = checkTargetPath(req.target_path);
  const target = parseKubeletTargetPath(targetPath, options.kubeletRootDir);
  const mount = requireMountCapability(req);
  const context: StringMap = { ...(req.volume_context ?? {}) };
  checkVolumeContextSize(context);

  if (context[CONTEXT_EPHEMERAL] !== 'true') {
    throw invalidArgument(
      `only ephemeral volume types are supported: volume_context["${CONTEXT_EPHEMERAL}"] must be "true" ` +
        '(declare the volume inline in the Pod spec and set podInfoOnMount: true on the CSIDriver)',
    );
  }
  if (req.readonly !== true) throw invalidArgument(READONLY_REQUIRED_MESSAGE);

  const { token, expirationTimestamp } = readEmptyAudienceToken(context);
  const claims = readClaims(token);
  checkClaimsMatchContext(claims, context);
  // The context's pod UID equals the token's pod claim when it has one (checked just above).
  checkTargetBelongsToPod(target, context[CONTEXT_POD_UID] || undefined);
  const tokenExpiresAt = claims.expiresAt ?? expirationTimestamp;
  const now = options.now ?? new Date();
  if (tokenExpiresAt && tokenExpiresAt.getTime() <= now.getTime()) {
    throw invalidArgument(
      `the service account token expired at ${tokenExpiresAt.toISOString()}; kubelet refreshes it and ` +
        "retries — if this persists, check the node's clock",
    );
  }

  const fsGroup = resolveFsGroup(context, mount.volume_mount_group);
  const workloadApiProblem = workloadApiAttributeProblem(context);
  if (workloadApiProblem) throw invalidArgument(workloadApiProblem);
  const identity: PublishRequest['identity'] = {
    namespace: claims.namespace,
    serviceAccount: claims.serviceAccount,
    spiffeId: spiffeIdFor(options.trustDomain, claims),
    token,
  };
  if (tokenExpiresAt) identity.tokenExpiresAt = tokenExpiresAt;
  const podName = claims.podName ?? (context[CONTEXT_POD_NAME] || undefined);
  const podUid = claims.podUid ?? (context[CONTEXT_POD_UID] || undefined);
  if (podName) identity.podName = podName;
  if (podUid) identity.podUid = podUid;

  const result: PublishRequest = { volumeId, targetPath, volumeContext: context, identity };
  if (fsGroup !== undefined) result.fsGroup = fsGroup;
  return result;
}

/** Unpublish carries no pod info: the path must still be kubelet-shaped, the rest is the manager's. */
export function validateUnpublishRequest(
  req: NodeUnpublishVolumeRequest,
  options: PathValidationOptions,
): { volumeId: string; targetPath: string } {
  const volumeId = checkVolumeId(req.volume_id);
  const targetPath = checkTargetPath(req.target_path);
  parseKubeletTargetPath(targetPath, options.kubeletRootDir);
  return { volumeId, targetPath };
}

function requireMountCapability(req: NodePublishVolumeRequest) {
  const capability = req.volume_capability;
  if (!capability) throw invalidArgument('volume_capability is required');
  if (!capability.mount || capability.access_type === 'block') {
    throw invalidArgument(
      'volume_capability must be a filesystem mount; block volumes are not supported',
    );
  }
  return capability.mount;
}

function readClaims(token: string): ServiceAccountTokenClaims {
  try {
    return readServiceAccountTokenClaims(token);
  } catch (err) {
    // The library's messages describe the defect without echoing the token.
    const reason = err instanceof Error ? err.message : 'unreadable';
    throw invalidArgument(`cannot read the empty-audience ${reason}`);
  }
}

/** Kubelet sends pod facts twice (claims and context); disagreement means a token for another pod. */
function checkClaimsMatchContext(claims: ServiceAccountTokenClaims, context: StringMap): void {
  const pairs: [string, string | undefined, string][] = [
    ['namespace', claims.namespace, CONTEXT_POD_NAMESPACE],
    ['service account', claims.serviceAccount, CONTEXT_SERVICE_ACCOUNT_NAME],
    ['pod name', claims.podName, CONTEXT_POD_NAME],
    ['pod UID', claims.podUid, CONTEXT_POD_UID],
  ];
  for (const [what, fromToken, key] of pairs) {
    const fromContext = context[key];
    if (fromToken && fromContext && fromToken !== fromContext) {
      throw invalidArgument(
        `the service account token's ${what} ${JSON.stringify(fromToken)} does not match ` +
          `volume_context["${key}"] ${JSON.stringify(fromContext)}`,
      );
    }
  }
}

function spiffeIdFor(trustDomain: string, claims: ServiceAccountTokenClaims): string {
  try {
    return SpiffeId.forServiceAccount(
      trustDomain,
      claims.namespace,
      claims.serviceAccount,
    ).toString();
  } catch (err) {
    throw invalidArgument(
      `cannot build a SPIFFE ID for service account ${claims.namespace}/${claims.serviceAccount}: ` +
        (err instanceof Error ? err.message : String(err)),
    );
  }
}
