import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { LOGGER, OPTIONS, type ApproverOptions } from '@spiffe-csi/config';
import {
  KubeClientFactory,
  type CertificateRequest,
  type Informer,
  type LeaseLeaderElector,
} from '@spiffe-csi/kubernetes';
import { HealthRegistry } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { ApprovalReconciler } from './approval-reconciler';
import { ApproverMetrics } from './approver-metrics';
import { formatIssuerRef, RuntimeIssuerSource } from '@spiffe-csi/kubernetes';

/** How long shutdown waits for in-flight status writes before releasing the lease anyway. */
const DRAIN_TIMEOUT_MS = 2_000;

/**
 * Wires the approver: one cluster-wide CertificateRequest informer, the runtime issuer source,
 * the lease election (only the leader writes) and the reconciler. Starts in the background so
 * the probes answer at once; /readyz turns green when the caches synced and the election runs.
 */
@Injectable()
export class ApprovalService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly identity = `${hostname()}_${randomUUID()}`;
  private readonly informer: Informer<CertificateRequest>;
  private readonly issuerRefs: RuntimeIssuerSource;
  private readonly reconciler: ApprovalReconciler;
  private readonly elector: LeaseLeaderElector | undefined;
  private readonly abort = new AbortController();
  private electionRunning = false;

  constructor(
    @Inject(OPTIONS) private readonly options: ApproverOptions,
    @Inject(LOGGER) private readonly logger: Logger,
    kube: KubeClientFactory,
    health: HealthRegistry,
    private readonly metrics: ApproverMetrics,
  ) {
    const kubeLogger = logger.child({ component: 'kubernetes' });
    const api = kube.certificateRequests();
    this.informer = api.informer({ logger: kubeLogger });
    const runtimeConfigMap = options.runtimeIssuanceConfigMapName
      ? kube
          .configMaps()
          .watch(
            options.runtimeIssuanceConfigMapNamespace ?? '',
            options.runtimeIssuanceConfigMapName,
            {
              logger: kubeLogger,
            },
          )
      : undefined;
    this.issuerRefs = new RuntimeIssuerSource(
      options.issuerName
        ? { name: options.issuerName, kind: options.issuerKind, group: options.issuerGroup }
        : undefined,
      logger,
      runtimeConfigMap,
    );
    this.elector = options.leaderElect
      ? kube.leaderElector({
          name: options.csiDriverName,
          namespace: options.leaderElectionNamespace,
          identity: this.identity,
          leaseDurationMs: options.leaderElectionLeaseDurationMs,
          renewDeadlineMs: options.leaderElectionRenewDeadlineMs,
          retryPeriodMs: options.leaderElectionRetryPeriodMs,
          onStartedLeading: () => this.startedLeading(),
          onStoppedLeading: () => this.stoppedLeading(),
          onNewLeader: (leader) => logger.info({ leader }, 'observed leader'),
          logger: kubeLogger,
        })
      : undefined;
    this.reconciler = new ApprovalReconciler({
      informer: this.informer,
      api,
      issuerRefs: this.issuerRefs,
      policy: {
        trustDomain: options.trustDomain,
        durationMs: options.certificateRequestDurationMs,
        keyAlgorithm: options.keyAlgorithm,
        driverServiceAccount: options.useOwnServiceAccount
          ? options.driverServiceAccount
          : undefined,
        autoApproveNonSpiffe: options.autoApproveNonSpiffe,
      },
      metrics,
      logger,
      isLeader: () => (this.elector ? this.elector.isLeader() : this.electionRunning),
    });
    health.addReadinessCheck(
      'informer-synced',
      () => this.informer.hasSynced() && this.issuerRefs.hasSynced(),
    );
    health.addReadinessCheck('leader-election-running', () => this.electionRunning);
  }

  onApplicationBootstrap(): void {
    void this.run().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.logger.error({ err }, 'approver failed to start');
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.abort.abort();
    this.informer.stop();
    this.issuerRefs.stop();
    this.reconciler.stop();
    await Promise.race([this.reconciler.idle(), delay(DRAIN_TIMEOUT_MS)]);
    this.electionRunning = false;
    // Released so a standby replica takes over at once instead of after leaseDuration.
    await this.elector?.stop({ release: true });
  }

  private async run(): Promise<void> {
    // The active issuer must be known before any request is judged against it.
    this.issuerRefs.start();
    await this.issuerRefs.waitForSync(this.abort.signal);
    this.informer.start();
    await this.informer.waitForSync({ signal: this.abort.signal });
    this.logger.info(
      {
        issuerRef: formatIssuerRef(this.issuerRefs.current()),
        requests: this.informer.list().length,
      },
      'certificate request cache synced',
    );
    if (this.abort.signal.aborted) return;
    this.electionRunning = true;
    this.logger.info({ startupMs: Math.round(process.uptime() * 1000) }, 'approver ready');
    if (this.elector) {
      this.elector.start();
    } else {
      this.startedLeading();
    }
  }

  private startedLeading(): void {
    this.logger.info({ identity: this.identity }, 'became leader; deciding pending requests');
    this.metrics.setLeader(true);
    this.reconciler.enqueueAllPending();
  }

  private stoppedLeading(): void {
    this.logger.info({ identity: this.identity }, 'stopped leading');
    this.metrics.setLeader(false);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
