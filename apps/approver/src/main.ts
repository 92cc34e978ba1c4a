import 'reflect-metadata';
import { createLogger, loadOptionsOrExit, type ApproverOptions } from '@spiffe-csi/config';
import { createApp, listenAndAnnounce, runMain } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { AppModule } from './app.module';

let logger: Logger | undefined;

runMain('approver', () => logger, async () => {
  const options = loadOptionsOrExit<ApproverOptions>('approver');
  logger = createLogger({ level: options.logLevel, name: 'approver' });
  const app = await createApp(AppModule.forRoot(options, logger), logger);
  await listenAndAnnounce(app, 'approver', logger, {
    trustDomain: options.trustDomain,
    keyAlgorithm: options.keyAlgorithm,
  });
});
