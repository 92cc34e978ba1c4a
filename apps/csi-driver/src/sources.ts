import type { Provider } from '@nestjs/common';
import type { DriverOptions } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, CaBundleWatcher } from './ca-bundle/ca-bundle-watcher';

/**
 * Providers that replace the flag-only defaults: the CA bundle watcher when --source-ca-bundle is
 * set (read once here so a missing file stops startup with the flag's name).
 */
export async function issuerAndCaOverrides(options: DriverOptions, logger: Logger): Promise<Provider[]> {
  const overrides: Provider[] = [];
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
