import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, loadOptionsOrExit, type ApproverOptions } from '@spiffe-csi/config';
import {
  formatBoundAddress,
  listenOnReadinessAddress,
  MetricsServer,
  PinoNestLogger,
} from '@spiffe-csi/observability';
import { AppModule } from './app.module';

async function main(): Promise<void> {
  const options = loadOptionsOrExit<ApproverOptions>('approver');
  const logger = createLogger({ level: options.logLevel, name: 'approver' });
  try {
    const app = await NestFactory.create(AppModule.forRoot(options, logger), {
      logger: new PinoNestLogger(logger),
      abortOnError: false, // a bad kubeconfig is an error line and exit 1, not a core dump
      forceCloseConnections: true, // probes use keep-alive; shutdown must not wait for them
    });
    // Stop the informer, release the lease, close both servers, then exit 0.
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    const readiness = await listenOnReadinessAddress(app);
    const metrics = app.get(MetricsServer).boundAddress();
    logger.info(
      {
        readinessAddress: formatBoundAddress(readiness),
        metricsAddress: metrics ? formatBoundAddress(metrics) : null,
        trustDomain: options.trustDomain,
        keyAlgorithm: options.keyAlgorithm,
        startupMs: Math.round(process.uptime() * 1000),
      },
      'approver listening',
    );
  } catch (err) {
    logger.fatal({ err }, 'approver failed to start');
    process.exit(1);
  }
}

void main();
