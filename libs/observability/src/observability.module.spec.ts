import { Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Counter, type Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthRegistry } from './health-registry';
import {
  listenOnReadinessAddress,
  MetricsServer,
  ObservabilityModule,
  type ObservabilityOptions,
} from './observability.module';
import { METRICS_REGISTRY } from './tokens';

@Injectable()
class SyncingComponent {
  synced = false;
  readonly decisions: Counter;
  constructor(health: HealthRegistry, @Inject(METRICS_REGISTRY) registry: Registry) {
    health.addReadinessCheck('informer-synced', () => this.synced);
    this.decisions = new Counter({
      name: 'test_decisions_total',
      help: 'h',
      registers: [registry],
    });
  }
}

function appModule(options: ObservabilityOptions) {
  @Module({ imports: [ObservabilityModule.forRoot(options)], providers: [SyncingComponent] })
  class AppModule {}
  return AppModule;
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(options: ObservabilityOptions) {
  app = await NestFactory.create(appModule(options), { logger: false });
  const bound = await listenOnReadinessAddress(app);
  return { app, base: `http://127.0.0.1:${bound.port}`, bound };
}

describe('ObservabilityModule', () => {
  it('serves /readyz from registered checks and /livez, on an ephemeral port', async () => {
    const { app, base, bound } = await start({
      readinessAddress: '127.0.0.1:0',
      metricsAddress: null,
      readinessChecks: { 'election-running': () => true },
    });
    expect(bound.port).toBeGreaterThan(0);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as Record<string, Record<string, { status: string }>>;
    expect(body.error['informer-synced'].status).toBe('down');
    expect(body.info['election-running'].status).toBe('up');

    app.get(SyncingComponent).synced = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect(app.get(MetricsServer).boundAddress()).toBeUndefined();
  });

  it('serves Prometheus metrics, default and custom, on a separate port', async () => {
    const { app, bound } = await start({
      readinessAddress: '127.0.0.1:0',
      metricsAddress: '127.0.0.1:0',
    });
    app.get(SyncingComponent).decisions.inc();
    const metrics = app.get(MetricsServer).boundAddress();
    expect(metrics?.port).toBeGreaterThan(0);
    expect(metrics?.port).not.toBe(bound.port);
    const res = await fetch(`http://127.0.0.1:${metrics?.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('test_decisions_total 1');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`http://127.0.0.1:${metrics?.port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${bound.port}/metrics`)).status).toBe(404);
  });

  it('closes the metrics port when the app closes', async () => {
    const { app } = await start({ readinessAddress: '127.0.0.1:0', metricsAddress: '127.0.0.1:0' });
    const port = app.get(MetricsServer).boundAddress()?.port;
    await app.close();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('rejects a malformed address at module creation', () => {
    expect(() =>
      ObservabilityModule.forRoot({ readinessAddress: '6060', metricsAddress: null }),
    ).toThrow(/missing port/);
  });

  it('forRootAsync takes options from a factory', async () => {
    @Module({
      imports: [
        ObservabilityModule.forRootAsync({
          useFactory: () => ({ readinessAddress: '127.0.0.1:0', metricsAddress: null }),
        }),
      ],
    })
    class AsyncModule {}
    app = await NestFactory.create(AsyncModule, { logger: false });
    const bound = await listenOnReadinessAddress(app);
    expect((await fetch(`http://127.0.0.1:${bound.port}/readyz`)).status).toBe(200);
  });
});
