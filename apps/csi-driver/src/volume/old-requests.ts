import type { Logger } from 'pino';
import { volumeSelector } from '../issuance/labels';
import type { CertificateRequest, CertificateRequestGateway } from '../issuance/ports';

export interface PruneScope {
  namespace: string;
  nodeId: string;
  volumeId: string;
  keep: number; // newest requests left in place
}

function newestFirst(a: CertificateRequest, b: CertificateRequest): number {
  const byTime = Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  // Same second: resourceVersions are opaque, but a later create has a later one in practice.
  return Number(b.metadata.resourceVersion ?? 0) - Number(a.metadata.resourceVersion ?? 0);
}

/**
 * Deletes all but the newest `keep` requests of one volume, with the driver's own credentials, so
 * renewals do not leave a trail of CertificateRequests behind (the Pod owner reference only helps
 * once the Pod is gone). Returns the names deleted; failures are logged, never thrown.
 */
export async function pruneOldRequests(
  gateway: CertificateRequestGateway,
  scope: PruneScope,
  logger: Logger,
): Promise<string[]> {
  let requests: CertificateRequest[];
  try {
    requests = await gateway.list(scope.namespace, volumeSelector(scope.nodeId, scope.volumeId));
  } catch (error) {
    logger.warn({ volumeId: scope.volumeId, err: (error as Error).message }, 'listing old certificate requests failed');
    return [];
  }
  const stale = [...requests].sort(newestFirst).slice(scope.keep);
  const deleted: string[] = [];
  for (const request of stale) {
    const name = request.metadata.name!;
    try {
      await gateway.delete(scope.namespace, name);
      deleted.push(name);
    } catch (error) {
      logger.warn({ volumeId: scope.volumeId, request: name, err: (error as Error).message }, 'deleting old certificate request failed');
    }
  }
  if (deleted.length > 0) logger.debug({ volumeId: scope.volumeId, deleted }, 'deleted old certificate requests');
  return deleted;
}
