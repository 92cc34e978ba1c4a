import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { HealthRegistry, type HealthKind } from './health-registry';

/** Kubernetes-style probes; 200 when every registered check passes, 503 otherwise. */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: HealthRegistry,
  ) {}

  @Get('livez')
  @HealthCheck()
  async livez() {
    return this.health.check(await this.indicatorsFor('liveness'));
  }

  @Get('readyz')
  @HealthCheck()
  async readyz() {
    return this.health.check(await this.indicatorsFor('readiness'));
  }

  // Checks run (concurrently) in the registry; terminus only formats and sets the status code.
  private async indicatorsFor(kind: HealthKind): Promise<HealthIndicatorFunction[]> {
    const reports = await this.registry.run(kind);
    return reports.map((report) => () => {
      const session = this.indicators.check(report.name);
      const data: Record<string, string> = report.reason ? { reason: report.reason } : {};
      return report.healthy ? session.up(data) : session.down(data);
    });
  }
}
