import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@spiffe-csi/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PolicyDecision } from '../policy';

const PREFIX = 'certmanager_csi_spiffe_approver';
// creationTimestamp has 1 s resolution, so sub-second buckets only matter for the seen→written histogram.
const CREATED_BUCKETS = [0.5, 1, 2, 3, 5, 10, 30, 60, 300];
const SEEN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

@Injectable()
export class ApproverMetrics {
  private readonly decisions: Counter<'result' | 'reason'>;
  private readonly sinceCreated: Histogram;
  private readonly sinceSeen: Histogram;
  private readonly leader: Gauge;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.decisions = new Counter({
      name: `${PREFIX}_decisions_total`,
      help: 'Decisions written: approved (reason "none"), or denied once per failed policy rule.',
      labelNames: ['result', 'reason'],
      registers: [registry],
    });
    this.sinceCreated = new Histogram({
      name: `${PREFIX}_decision_latency_seconds`,
      help: 'Request creationTimestamp (1 s resolution) to decision written.',
      buckets: CREATED_BUCKETS,
      registers: [registry],
    });
    this.sinceSeen = new Histogram({
      name: `${PREFIX}_decision_latency_from_seen_seconds`,
      help: 'Request first seen by the informer to decision written (ms precision).',
      buckets: SEEN_BUCKETS,
      registers: [registry],
    });
    this.leader = new Gauge({
      name: `${PREFIX}_leader`,
      help: '1 while this replica holds the leader lease, else 0.',
      registers: [registry],
    });
    this.leader.set(0);
  }

  decisionWritten(
    decision: PolicyDecision,
    createdAt: Date | undefined,
    seenAtMs: number | undefined,
  ) {
    if (decision.approved) {
      this.decisions.inc({ result: 'approved', reason: 'none' });
    } else {
      for (const rule of new Set(decision.failures.map((f) => f.rule))) {
        this.decisions.inc({ result: 'denied', reason: rule });
      }
    }
    const now = Date.now();
    if (createdAt && !Number.isNaN(createdAt.getTime())) {
      this.sinceCreated.observe(Math.max(0, now - createdAt.getTime()) / 1000);
    }
    if (seenAtMs !== undefined) this.sinceSeen.observe(Math.max(0, now - seenAtMs) / 1000);
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }
}
