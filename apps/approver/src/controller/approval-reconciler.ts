import {
  isNotFound,
  objectKey,
  type CertificateRequest,
  type CertificateRequestApi,
  type Informer,
} from '@spiffe-csi/kubernetes';
import type { Logger } from 'pino';
import { decide, isDecidedByUs, type DecideOptions } from '../policy';
import type { ApproverMetrics } from './approver-metrics';
import { isDecided, withDecision } from './decision';
import {
  formatIssuerRef,
  issuerRefMatches,
  type RuntimeIssuerSource,
} from '@spiffe-csi/kubernetes';
import { WorkQueue } from './work-queue';

export interface ReconcilerDeps {
  informer: Informer<CertificateRequest>;
  api: CertificateRequestApi;
  issuerRefs: RuntimeIssuerSource;
  policy: DecideOptions;
  metrics: ApproverMetrics;
  logger: Logger;
  isLeader: () => boolean;
  concurrency?: number;
}

/**
 * Decides each undecided CertificateRequest for our issuer (with --auto-approve-non-spiffe: every
 * undecided one) exactly once: informer events feed a de-duplicating work queue; a worker
 * evaluates the policy and writes Approved/Denied through /status. Requests for other issuers
 * (without auto-approve) and already decided ones are never touched.
 */
export class ApprovalReconciler {
  private readonly queue: WorkQueue;
  /** When each pending request was first seen, for the ms-precision latency histogram. */
  private readonly firstSeen = new Map<string, number>();
  /** UIDs we decided whose decision the informer has not shown yet: do not decide them again. */
  private readonly decidedUids = new Set<string>();

  constructor(private readonly deps: ReconcilerDeps) {
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: deps.concurrency ?? 8,
      // Like controller-runtime: keep retrying (backoff capped at 30 s) until it is written,
      // decided elsewhere or deleted; a request must not stay undecided for want of an event.
      maxRetries: Number.POSITIVE_INFINITY,
      onError: (key, error, willRetry) =>
        deps.logger.warn(
          { ...splitKey(key), err: error, willRetry },
          'writing the decision failed',
        ),
    });
    deps.informer.addHandlers({
      onAdd: (cr) => this.observe(cr),
      onUpdate: (cr) => this.observe(cr),
      onDelete: (cr) => this.forget(cr),
    });
    deps.issuerRefs.onChange(() => this.enqueueAllPending());
  }

  /** Queues every cached request that still awaits a decision (on becoming leader, on issuer change). */
  enqueueAllPending(): void {
    for (const cr of this.deps.informer.list()) this.observe(cr);
  }

  /** Resolves when no work is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  private isPending(cr: CertificateRequest): boolean {
    return (
      !isDecided(cr) &&
      !this.decidedUids.has(cr.metadata.uid ?? '') &&
      isDecidedByUs(this.targetsOurIssuer(cr), this.deps.policy)
    );
  }

  private targetsOurIssuer(cr: CertificateRequest): boolean {
    return issuerRefMatches(cr.spec?.issuerRef, this.deps.issuerRefs.current());
  }

  private observe(cr: CertificateRequest): void {
    if (isDecided(cr)) {
      this.forget(cr);
      return;
    }
    if (!this.isPending(cr)) return;
    const key = objectKey(cr);
    if (!this.firstSeen.has(key)) this.firstSeen.set(key, Date.now());
    if (this.deps.isLeader() && this.deps.issuerRefs.hasSynced()) this.queue.add(key);
  }

  private forget(cr: CertificateRequest): void {
    this.firstSeen.delete(objectKey(cr));
    if (cr.metadata.uid) this.decidedUids.delete(cr.metadata.uid);
  }

  private async reconcile(key: string): Promise<void> {
    if (!this.deps.isLeader()) return;
    const cr = this.deps.informer.getByKey(key);
    if (!cr || !this.isPending(cr)) return;
    const { namespace = '', name = '', uid } = cr.metadata;

    const targetsOurIssuer = this.targetsOurIssuer(cr);
    const decision = await decide(cr, targetsOurIssuer, this.deps.policy);
    const issuerRef = this.deps.issuerRefs.current();
    let written: CertificateRequest | undefined;
    try {
      written = await this.deps.api.updateStatus(
        namespace,
        name,
        // On a conflict this runs again on the fresh object: if someone decided meanwhile, the
        // name now belongs to a new request, or the active issuer changed what the request is to
        // us, write nothing.
        (fresh) =>
          fresh.metadata.uid === uid &&
          !isDecided(fresh) &&
          issuerRefMatches(fresh.spec?.issuerRef, issuerRef) === targetsOurIssuer
            ? withDecision(fresh, decision)
            : undefined,
        { current: cr },
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    if (!written) {
      this.deps.logger.debug(
        { namespace, name },
        'request was decided or replaced meanwhile; left alone',
      );
      return;
    }
    if (uid) this.decidedUids.add(uid);
    this.deps.metrics.decisionWritten(
      decision,
      parseTime(cr.metadata.creationTimestamp),
      this.firstSeen.get(key),
    );
    this.firstSeen.delete(key);
    this.deps.logger.info(
      {
        namespace,
        name,
        result: decision.approved ? 'approved' : 'denied',
        reasons: decision.reasons,
        issuerRef: formatIssuerRef(issuerRef),
      },
      decision.approved ? 'approved certificate request' : 'denied certificate request',
    );
  }
}

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function parseTime(value: string | undefined): Date | undefined {
  return value ? new Date(value) : undefined;
}
