import type { ApiFaults } from './api';

interface RequestFailure { status: number; remaining: number; match?: (method: string, path: string) => boolean }

/** Injected failures, consumed by the request handler and the API layer. */
export class FaultState implements ApiFaults {
  private statusConflicts = 0;
  private failures: RequestFailure[] = [];

  conflictNextStatusWrites(n: number): void {
    this.statusConflicts = Math.max(0, n);
  }

  takeStatusConflict(): boolean {
    if (this.statusConflicts === 0) return false;
    this.statusConflicts--;
    return true;
  }

  /** The next `count` (default 1; Infinity allowed) matching requests fail with `status` (default 500). */
  failRequests(o: { status?: number; count?: number; match?: (method: string, path: string) => boolean } = {}): void {
    this.failures.push({ status: o.status ?? 500, remaining: o.count ?? 1, match: o.match });
  }

  /** The injected status for this request, if any rule still applies. */
  takeFailure(method: string, path: string): number | undefined {
    const rule = this.failures.find((f) => f.remaining > 0 && (!f.match || f.match(method, path)));
    if (!rule) return undefined;
    rule.remaining--;
    this.failures = this.failures.filter((f) => f.remaining > 0);
    return rule.status;
  }

  reset(): void {
    this.statusConflicts = 0;
    this.failures = [];
  }
}
