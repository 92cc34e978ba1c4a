import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { formatBoundAddress } from './bind-address';
import { listenOnReadinessAddress, MetricsServer } from './observability.module';
import { PinoNestLogger } from './pino-nest-logger';

/**
 * Creates an app's Nest application with the settings both apps need: pino for Nest's own logs,
 * an error line and exit 1 instead of a core dump on startup failure, probes that do not hold
 * shutdown open, and SIGTERM/SIGINT shutdown hooks that exit 0.
 */
export async function createApp(module: DynamicModule, logger: Logger): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    forceCloseConnections: true,
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  return app;
}

/**
 * Listens on the readiness address and logs "<name> listening" with the bound addresses (so port 0
 * works in tests), the startup time and `fields`.
 */
export async function listenAndAnnounce(
  app: INestApplication, name: string, logger: Logger, fields: Record<string, unknown>,
): Promise<void> {
  const readiness = await listenOnReadinessAddress(app);
  const metrics = app.get(MetricsServer).boundAddress();
  logger.info({
    ...fields,
    readinessAddress: formatBoundAddress(readiness),
    metricsAddress: metrics ? formatBoundAddress(metrics) : null,
    startupMs: Math.round(process.uptime() * 1000),
  }, `${name} listening`);
}

/** Runs `main`; anything it throws is one fatal log line and exit code 1. */
export function runMain(name: string, logger: () => Logger | undefined, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const log = logger();
    if (log) log.fatal({ err }, `${name} failed to start`);
    else console.error(`${name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
