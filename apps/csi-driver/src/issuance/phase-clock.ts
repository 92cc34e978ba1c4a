import { performance } from 'node:perf_hooks';

/**
 * The phases a first publish goes through, in order. Each names the work that ENDS at its mark:
 * - `lock`: waiting for the volume's lock; `prepare`: metadata read, target classified, stored
 * - `keyAndCsr`: a pooled key taken, the CSR written (not "key"/"csr": the logger redacts those fields)
 * - `create`: the CertificateRequest POST as the Pod (the API server calls cert-manager's webhook)
 * - `approve`: created → Approved seen on the watch (the approver's share)
 * - `sign`: Approved → Ready seen (the issuer's share)
 * - `verify`: the chain checked against the key; `write`: files on the tmpfs and metadata stored
 * - `mount`: what is left of the read-only bind, which runs while the request is out
 * - `resume` replaces keyAndCsr+create when kubelet retries a publish whose request is pending.
 */
export const PUBLISH_PHASES = [
  'lock', 'prepare', 'resume', 'keyAndCsr', 'create', 'approve', 'sign', 'verify', 'write', 'mount',
] as const;
export type PublishPhase = (typeof PUBLISH_PHASES)[number];

/**
 * Where one publish spent its time: mark(phase) charges the time since the previous mark to that
 * phase. It is what shows whether a slow mount was ours, the approver's or the issuer's, without a
 * tracer: the driver logs the result on its "volume published" line and feeds the phase histogram.
 */
export class PhaseClock {
  private readonly started: number;
  private last: number;
  private readonly spent = new Map<PublishPhase, number>();

  constructor(private readonly now: () => number = () => performance.now()) {
    this.started = this.last = now();
  }

  mark(phase: PublishPhase): void {
    const t = this.now();
    this.spent.set(phase, (this.spent.get(phase) ?? 0) + (t - this.last));
    this.last = t;
  }

  /** Milliseconds per phase (0.1 ms precision), in the phases' order; phases never marked are left out. */
  phasesMs(): Partial<Record<PublishPhase, number>> {
    const out: Partial<Record<PublishPhase, number>> = {};
    for (const phase of PUBLISH_PHASES) {
      const ms = this.spent.get(phase);
      if (ms !== undefined) out[phase] = Math.round(ms * 10) / 10;
    }
    return out;
  }

  /** Milliseconds since the clock started. */
  totalMs(): number {
    return Math.round((this.now() - this.started) * 10) / 10;
  }
}

/** What a caller of an issuance may follow: its phases, and the moment the request is out. */
export interface IssueHooks {
  clock?: PhaseClock;
  /** Called once the request exists on the API server (created, or a pending one resumed). */
  onSubmitted?: () => void;
}
