import { sleep } from './backoff';
import type { KubeConnection } from './connection';
import { isNotFound } from './errors';
import type { EventRecorder } from './event-recorder';
import { leasesPath, sameLeaseRecord, type Lease, type LeaseSpec } from './lease.types';
import { describeError, silentLogger, type KubeLogger } from './logger';
import { formatMicroTime } from './objects';

export interface LeaderElectionOptions {
  name: string;
  namespace: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?(): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
  eventRecorder?: EventRecorder;
  logger?: KubeLogger;
}

/** client-go's wait.JitterUntil factor for the acquire loop. */
const JITTER_FACTOR = 1.2;

/**
 * client-go's leaderelection over a coordination.k8s.io/v1 Lease: acquire when the lease is absent,
 * released or not renewed for its duration (measured on our clock from when we last saw it change);
 * renew every retryPeriod; give up leadership when renewal has not succeeded for renewDeadline.
 * Every write carries the observed resourceVersion, so two candidates can never both win.
 */
export class LeaseLeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: KubeLogger;
  private readonly path: string;
  private leading = false;
  private observed?: Lease;
  private observedAt = 0;
  private leader?: string;
  private abort?: AbortController;
  private loop?: Promise<void>;

  constructor(
    private readonly conn: KubeConnection,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!opts.name || !opts.namespace || !opts.identity)
      throw new Error('leader election: name, namespace and identity are required');
    if (this.leaseDurationMs <= this.renewDeadlineMs)
      throw new Error('leader election: leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) {
      throw new Error(
        `leader election: renewDeadline must be greater than retryPeriod*${JITTER_FACTOR}`,
      );
    }
    if (this.leaseDurationMs < 1000)
      throw new Error('leader election: leaseDuration must be at least 1s');
    this.logger = opts.logger ?? conn.logger ?? silentLogger;
    this.path = leasesPath(opts.namespace, opts.name);
  }

  isLeader(): boolean {
    return this.leading;
  }

  currentLeader(): string | undefined {
    return this.leader;
  }

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops the loop; while leading and with release (default), hands the lease over at once. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.abort?.abort();
    await this.loop;
    if (opts.release ?? true) await this.release();
    else this.stopLeading();
  }

  /** Empties holderIdentity (leaseDurationSeconds 1) so a successor need not wait for expiry. */
  async release(): Promise<void> {
    // Judge by the lease, not by `leading`: a stop between a successful acquire and
    // onStartedLeading must still hand the lease over.
    if (!this.observed || this.observed.spec?.holderIdentity !== this.opts.identity) return;
    const now = formatMicroTime();
    const lease: Lease = {
      ...this.observed,
      spec: {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: this.observed.spec?.leaseTransitions ?? 0,
      },
    };
    try {
      this.observe(
        await this.conn.request<Lease>('PUT', this.path, {
          body: lease,
          timeoutMs: this.renewDeadlineMs,
        }),
      );
      this.logger.info(
        { lease: this.opts.name, identity: this.opts.identity },
        'released leader lease',
      );
    } catch (e) {
      this.logger.warn(
        { lease: this.opts.name, ...describeError(e) },
        'failed to release leader lease',
      );
    }
    this.stopLeading();
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      while (!signal.aborted && !(await this.tryAcquireOrRenew())) {
        await sleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR), signal);
      }
      if (signal.aborted) return;
      this.startLeading();
      await this.renewUntilLost(signal);
    }
  }

  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    let lastRenewal = Date.now();
    while (!signal.aborted) {
      await sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return;
      if (await this.tryAcquireOrRenew()) {
        lastRenewal = Date.now();
        continue;
      }
      const lostToOther = this.leader !== undefined && this.leader !== this.opts.identity;
      if (lostToOther || Date.now() - lastRenewal >= this.renewDeadlineMs) {
        this.logger.warn(
          { lease: this.opts.name, identity: this.opts.identity, leader: this.leader },
          'lost leader lease',
        );
        this.stopLeading();
        return;
      }
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const nowDate = new Date();
    const now = formatMicroTime(nowDate);
    const timeoutMs = this.renewDeadlineMs;
    const mine: LeaseSpec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    let current: Lease;
    try {
      current = await this.conn.request<Lease>('GET', this.path, { timeoutMs });
    } catch (e) {
      if (!isNotFound(e)) {
        this.logger.warn(
          { lease: this.opts.name, ...describeError(e) },
          'cannot read leader lease',
        );
        return false;
      }
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.opts.name, namespace: this.opts.namespace },
        spec: mine,
      };
      try {
        this.observe(
          await this.conn.request<Lease>('POST', leasesPath(this.opts.namespace), {
            body,
            timeoutMs,
          }),
        );
        return true;
      } catch (createError) {
        // 409 AlreadyExists: another candidate created it first and won this round.
        this.logger.debug(
          { lease: this.opts.name, ...describeError(createError) },
          'lease create lost',
        );
        return false;
      }
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expiresAt = this.observedAt + (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder && holder !== this.opts.identity && expiresAt > nowDate.getTime()) return false;
    const next: LeaseSpec =
      holder === this.opts.identity
        ? {
            ...mine,
            acquireTime: spec.acquireTime ?? now,
            leaseTransitions: spec.leaseTransitions ?? 0,
          }
        : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      const body: Lease = { ...current, spec: next };
      this.observe(await this.conn.request<Lease>('PUT', this.path, { body, timeoutMs }));
      return true;
    } catch (e) {
      this.logger.debug({ lease: this.opts.name, ...describeError(e) }, 'lease update failed');
      return false;
    }
  }

  /** Tracks when the record last changed on our clock; expiry is judged from that, not renewTime. */
  private observe(lease: Lease): void {
    if (!this.observed || !sameLeaseRecord(this.observed.spec, lease.spec))
      this.observedAt = Date.now();
    this.observed = lease;
    const holder = lease.spec?.holderIdentity || undefined;
    if (holder !== this.leader) {
      this.leader = holder;
      if (holder) this.safely(() => this.opts.onNewLeader?.(holder));
    }
  }

  private startLeading(): void {
    this.leading = true;
    this.logger.info({ lease: this.opts.name, identity: this.opts.identity }, 'became leader');
    void this.recordEvent('became leader');
    this.safely(() => this.opts.onStartedLeading?.());
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    void this.recordEvent('stopped leading');
    this.safely(() => this.opts.onStoppedLeading?.());
  }

  private recordEvent(what: string): Promise<void> | undefined {
    const ref = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      name: this.opts.name,
      namespace: this.opts.namespace,
      uid: this.observed?.metadata.uid,
    };
    return this.opts.eventRecorder?.record(
      ref,
      'Normal',
      'LeaderElection',
      `${this.opts.identity} ${what}`,
    );
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.logger.error(
        { lease: this.opts.name, ...describeError(e) },
        'leader election callback failed',
      );
    }
  }
}
