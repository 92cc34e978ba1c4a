import './memory-profile';
import 'reflect-metadata';
import { createLogger, loadOptionsOrExit, type DriverOptions } from '@spiffe-csi/config';
import { runMain } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { bootstrapDriver } from './bootstrap';
import { requestCredentialsOverrides } from './own-service-account';
import { issuerAndCaOverrides } from './sources';

let logger: Logger | undefined;

runMain('csi-driver', () => logger, async () => {
  const options = loadOptionsOrExit<DriverOptions>('csi-driver');
  logger = createLogger({ level: options.logLevel, name: 'csi-driver' });
  const overrides = [...(await issuerAndCaOverrides(options, logger)), ...requestCredentialsOverrides(options)];
  await bootstrapDriver(AppModule.forRoot(options, logger, overrides), options, logger);
});
