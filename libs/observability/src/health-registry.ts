import { Injectable } from '@nestjs/common';

/** `true`/`false`, or a verdict with a short human reason shown in /readyz. */
export type HealthVerdict = boolean | { healthy: boolean; reason?: string };
export type HealthCheck = () => HealthVerdict | Promise<HealthVerdict>;
export type HealthKind = 'readiness' | 'liveness';

export interface HealthCheckReport {
  name: string;
  healthy: boolean;
  reason?: string;
}

/**
 * Where providers contribute named checks ("informer-synced", "leader-election-running").
 * /readyz is healthy only when every readiness check is; /livez likewise for liveness checks.
 */
@Injectable()
export class HealthRegistry {
  private readonly checks: Record<HealthKind, Map<string, HealthCheck>> = {
    readiness: new Map(),
    liveness: new Map(),
  };

  addReadinessCheck(name: string, check: HealthCheck): void {
    this.add('readiness', name, check);
  }

  addLivenessCheck(name: string, check: HealthCheck): void {
    this.add('liveness', name, check);
  }

  remove(kind: HealthKind, name: string): void {
    this.checks[kind].delete(name);
  }

  names(kind: HealthKind): string[] {
    return [...this.checks[kind].keys()];
  }

  /** Runs every check of a kind; a throwing check counts as unhealthy, never as a crash. */
  async run(kind: HealthKind): Promise<HealthCheckReport[]> {
    const entries = [...this.checks[kind].entries()];
    return Promise.all(entries.map(([name, check]) => runOne(name, check)));
  }

  private add(kind: HealthKind, name: string, check: HealthCheck): void {
    if (this.checks[kind].has(name)) {
      throw new Error(`${kind} check "${name}" is already registered`);
    }
    this.checks[kind].set(name, check);
  }
}

async function runOne(name: string, check: HealthCheck): Promise<HealthCheckReport> {
  try {
    const verdict = await check();
    if (typeof verdict === 'boolean') return { name, healthy: verdict };
    return { name, healthy: verdict.healthy === true, reason: verdict.reason };
  } catch (err) {
    return { name, healthy: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
