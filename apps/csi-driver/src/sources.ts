import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { LOGGER, type DriverOptions } from '@spiffe-csi/config';
import { KubeClientFactory, RuntimeIssuerSource } from '@spiffe-csi/kubernetes';
import { HealthRegistry } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, CaBundleWatcher } from './ca-bundle/ca-bundle-watcher';
import { ISSUER_SOURCE } from './issuance/ports';

/** Starts the runtime issuance ConfigMap watch; the driver is ready once it was read. */
@Injectable()
class RuntimeIssuerLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(ISSUER_SOURCE) private readonly source: RuntimeIssuerSource,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.source.start();
    this.health.addReadinessCheck('runtime-issuer-configmap', () =>
      this.source.hasSynced() ? true : { healthy: false, reason: 'runtime issuance ConfigMap not read yet' });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.source.stop();
  }
}

function runtimeIssuerProviders(options: DriverOptions): Provider[] {
  const name = options.runtimeIssuanceConfigMapName;
  const namespace = options.runtimeIssuanceConfigMapNamespace;
  if (!name || !namespace) return [];
  const fromFlags = options.issuerName
    ? { name: options.issuerName, kind: options.issuerKind, group: options.issuerGroup }
    : undefined;
  return [
    {
      provide: ISSUER_SOURCE,
      useFactory: (kube: KubeClientFactory, logger: Logger) =>
        new RuntimeIssuerSource(fromFlags, logger.child({ component: 'runtime-issuer' }), kube.configMaps().watch(namespace, name)),
      inject: [KubeClientFactory, LOGGER],
    },
    RuntimeIssuerLifecycle,
  ];
}

/**
 * Providers that replace the flag-only defaults: the runtime issuance ConfigMap when configured,
 * and the CA bundle watcher when --source-ca-bundle is set (read once here, so a missing file
 * stops startup naming the flag).
 */
export async function issuerAndCaOverrides(options: DriverOptions, logger: Logger): Promise<Provider[]> {
  const overrides = runtimeIssuerProviders(options);
  if (options.sourceCaBundle) {
    const watcher = new CaBundleWatcher({
      path: options.sourceCaBundle,
      onError: (err) => logger.warn({ err: err.message }, 'CA bundle watch error'),
    });
    await watcher.start();
    overrides.push({ provide: CA_BUNDLE_SOURCE, useValue: watcher });
  }
  return overrides;
}
