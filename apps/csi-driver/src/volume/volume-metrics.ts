import { Inject, Injectable, Optional } from '@nestjs/common';
import { OPTIONS, type DriverOptions } from '@spiffe-csi/config';
import { METRICS_REGISTRY } from '@spiffe-csi/observability';
import { Counter, Gauge, Histogram, register, Registry } from 'prom-client';
import type { PublishPhase } from '../issuance/phase-clock';

/**
 * The driver's per-volume metrics (csi-lib's names, which the Go driver never exposed). Every
 * volume-labelled series is removed when the volume is unpublished, so cardinality follows the
 * number of mounted volumes on this node.
 */
@Injectable()
export class VolumeMetrics {
  readonly registry: Registry;
  private readonly node: string;
  private readonly issueRequests: Counter<'node' | 'volume'>;
  private readonly issueErrors: Counter<'node' | 'volume'>;
  private readonly managedVolumes: Gauge<'node'>;
  private readonly expiration: Gauge<'node' | 'volume'>;
  private readonly renewal: Gauge<'node' | 'volume'>;
  private readonly publishDuration: Histogram<'result'>;
  private readonly publishPhase: Histogram<'phase'>;
  private readonly dataRootLosses: Counter<'node'>;
  private readonly renewalsSkipped: Counter<'node' | 'reason'>;

  constructor(
    @Inject(OPTIONS) options: Pick<DriverOptions, 'nodeId'>,
    // Without ObservabilityModule (a test's module), prom-client's global registry.
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
  ) {
    this.registry = registry ?? register;
    this.node = options.nodeId;
    const registers = [this.registry];
    this.issueRequests = new Counter({
      name: 'certmanager_csi_issue_requests_total',
      help: 'Issuance attempts (first issuance and renewals) per volume.',
      labelNames: ['node', 'volume'], registers,
    });
    this.issueErrors = new Counter({
      name: 'certmanager_csi_issue_errors_total',
      help: 'Failed issuance attempts per volume.',
      labelNames: ['node', 'volume'], registers,
    });
    this.managedVolumes = new Gauge({
      name: 'certmanager_csi_managed_volume_count',
      help: 'Volumes this node currently manages.',
      labelNames: ['node'], registers,
    });
    this.expiration = new Gauge({
      name: 'certmanager_csi_certificate_request_expiration_timestamp_seconds',
      help: 'NotAfter of the certificate currently mounted in the volume, in Unix seconds.',
      labelNames: ['node', 'volume'], registers,
    });
    this.renewal = new Gauge({
      name: 'certmanager_csi_certificate_request_renewal_timestamp_seconds',
      help: 'When the volume is next due for renewal, in Unix seconds.',
      labelNames: ['node', 'volume'], registers,
    });
    this.publishDuration = new Histogram({
      name: 'certmanager_csi_spiffe_publish_duration_seconds',
      help: 'NodePublishVolume handling time, including a first issuance.',
      labelNames: ['result'], registers,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    this.publishPhase = new Histogram({
      name: 'certmanager_csi_spiffe_publish_phase_seconds',
      help: 'Time a successful first publish spent in each phase (lock, prepare, keyAndCsr, create, approve, sign, verify, write, mount).',
      labelNames: ['phase'], registers,
      // Fine below 100 ms: a Pod's start waits on kubelet's 300 ms volume poll, so tens of ms matter.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    });
    this.dataRootLosses = new Counter({
      name: 'certmanager_csi_spiffe_data_root_lost_total',
      help: 'Times the data root was found no longer to be the driver\'s tmpfs (and was remounted).',
      labelNames: ['node'], registers,
    });
    this.renewalsSkipped = new Counter({
      name: 'certmanager_csi_spiffe_renewal_skipped_total',
      help: 'Renewal attempts that could not start (metadata unreadable, data root lost); each is retried.',
      labelNames: ['node', 'reason'], registers,
    });
  }

  dataRootLost(): void {
    this.dataRootLosses.inc({ node: this.node });
  }

  renewalSkipped(reason: 'metadata-unreadable' | 'data-root-lost'): void {
    this.renewalsSkipped.inc({ node: this.node, reason });
  }

  issuanceAttempted(volume: string): void {
    this.issueRequests.inc({ node: this.node, volume });
  }

  issuanceFailed(volume: string): void {
    this.issueErrors.inc({ node: this.node, volume });
  }

  certificateStored(volume: string, notAfter: Date, renewAt: Date): void {
    this.expiration.set({ node: this.node, volume }, notAfter.getTime() / 1000);
    this.renewal.set({ node: this.node, volume }, renewAt.getTime() / 1000);
  }

  renewalRescheduled(volume: string, at: Date): void {
    this.renewal.set({ node: this.node, volume }, at.getTime() / 1000);
  }

  managedVolumeCount(count: number): void {
    this.managedVolumes.set({ node: this.node }, count);
  }

  /** Starts a publish timer; call the result with the outcome. */
  publishTimer(): (result: 'ok' | 'error') => void {
    const end = this.publishDuration.startTimer();
    return (result) => end({ result });
  }

  /** One successful publish's phases, in milliseconds (PhaseClock.phasesMs). */
  publishPhases(phasesMs: Partial<Record<PublishPhase, number>>): void {
    for (const [phase, ms] of Object.entries(phasesMs)) this.publishPhase.observe({ phase }, ms / 1000);
  }

  forgetVolume(volume: string): void {
    for (const metric of [this.issueRequests, this.issueErrors, this.expiration, this.renewal]) {
      metric.remove({ node: this.node, volume });
    }
  }
}
