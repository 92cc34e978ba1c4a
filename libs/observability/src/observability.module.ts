import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplication,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Provider,
} from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseBindAddress, toBoundAddress, type BoundAddress } from './bind-address';
import { measureEventLoopLateness } from './event-loop-lag';
import { HealthController } from './health.controller';
import { HealthRegistry, type HealthCheck } from './health-registry';
import { MetricsHttpServer } from './metrics-server';
import { METRICS_REGISTRY, OBSERVABILITY_OPTIONS } from './tokens';

export interface ObservabilityOptions {
  /** Where /livez and /readyz are served (the Nest HTTP listener), e.g. ":6060", "127.0.0.1:0". */
  readinessAddress: string;
  /** Where /metrics is served on its own node:http server; null disables it. */
  metricsAddress: string | null;
  readinessChecks?: Record<string, HealthCheck>;
  livenessChecks?: Record<string, HealthCheck>;
  /** Supply a registry to share it; otherwise a fresh one with default process metrics. */
  registry?: Registry;
}

export interface ObservabilityAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest factory signature
  useFactory: (...args: any[]) => ObservabilityOptions | Promise<ObservabilityOptions>;
  inject?: (string | symbol | Provider | (abstract new (...args: never[]) => unknown))[];
}

/** Owns the /metrics server: bound during app.init(), closed when the app closes. */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly http: MetricsHttpServer | undefined;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) options: ObservabilityOptions,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    if (options.metricsAddress !== null) {
      parseBindAddress(options.metricsAddress); // fail at startup, not at bootstrap
      this.http = new MetricsHttpServer(registry, options.metricsAddress);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.http?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.http?.stop();
  }

  /** Undefined when disabled or not yet started. */
  boundAddress(): BoundAddress | undefined {
    return this.http?.boundAddress();
  }
}

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  // prom-client samples event-loop delay every 10 ms by default: 100 wake-ups a second cost an idle
  // driver ~0.6 % of a core, more than everything else it does while idle. Its histogram, once a
  // second here, is replaced by measureEventLoopLateness's (every 100 ms, and corrected).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1_000 });
  measureEventLoopLateness(registry);
  return registry;
}

const sharedProviders: Provider[] = [
  {
    provide: METRICS_REGISTRY,
    inject: [OBSERVABILITY_OPTIONS],
    useFactory: (o: ObservabilityOptions) => o.registry ?? createMetricsRegistry(),
  },
  {
    provide: HealthRegistry,
    inject: [OBSERVABILITY_OPTIONS],
    useFactory: (o: ObservabilityOptions) => {
      const registry = new HealthRegistry();
      for (const [name, check] of Object.entries(o.readinessChecks ?? {})) {
        registry.addReadinessCheck(name, check);
      }
      for (const [name, check] of Object.entries(o.livenessChecks ?? {})) {
        registry.addLivenessCheck(name, check);
      }
      return registry;
    },
  },
  MetricsServer,
];
const sharedExports = [METRICS_REGISTRY, HealthRegistry, MetricsServer, OBSERVABILITY_OPTIONS];

/**
 * Health probes (terminus) on the app's HTTP listener, Prometheus metrics on a separate port.
 * Global, so any provider can inject HealthRegistry (to contribute checks) or METRICS_REGISTRY.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    parseBindAddress(options.readinessAddress);
    return ObservabilityModule.build([{ provide: OBSERVABILITY_OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: ObservabilityAsyncOptions): DynamicModule {
    const module = ObservabilityModule.build([
      {
        provide: OBSERVABILITY_OPTIONS,
        inject: (options.inject ?? []) as never[],
        useFactory: options.useFactory,
      },
    ]);
    return { ...module, imports: [...(module.imports ?? []), ...(options.imports ?? [])] };
  }

  private static build(optionProviders: Provider[]): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      // Probes that fail are routine during startup; they are not worth an error log each.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [...optionProviders, ...sharedProviders],
      exports: sharedExports,
    };
  }
}

/** app.listen() on the configured readiness address; resolves to what was actually bound. */
export async function listenOnReadinessAddress(app: INestApplication): Promise<BoundAddress> {
  const options = app.get<ObservabilityOptions>(OBSERVABILITY_OPTIONS);
  const { host, port } = parseBindAddress(options.readinessAddress);
  await (host === undefined ? app.listen(port) : app.listen(port, host));
  return toBoundAddress(app.getHttpServer().address());
}
