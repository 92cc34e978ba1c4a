import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, loadOptionsOrExit, type DriverOptions } from '@spiffe-csi/config';
import {
  formatBoundAddress,
  listenOnReadinessAddress,
  MetricsServer,
  PinoNestLogger,
} from '@spiffe-csi/observability';
import { AppModule } from './app.module';
import { csiGrpcOptions, parseEndpoint, prepareUnixSocket, restrictUnixSocket } from './csi';
import { issuerAndCaOverrides } from './sources';

async function main(): Promise<void> {
  const options = loadOptionsOrExit<DriverOptions>('csi-driver');
  const logger = createLogger({ level: options.logLevel, name: 'csi-driver' });
  try {
    const overrides = await issuerAndCaOverrides(options, logger);
    // One Nest application: HTTP for probes plus the CSI gRPC microservice, sharing one container.
    const app = await NestFactory.create(AppModule.forRoot(options, logger, overrides), {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
      forceCloseConnections: true,
    });
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    const endpoint = parseEndpoint(options.endpoint);
    if (endpoint.kind === 'unix') await prepareUnixSocket(endpoint.path);
    app.connectMicroservice(csiGrpcOptions(options.endpoint), { inheritAppConfig: true });
    await app.startAllMicroservices();
    if (endpoint.kind === 'unix') await restrictUnixSocket(endpoint.path);
    const readiness = await listenOnReadinessAddress(app);
    const metrics = app.get(MetricsServer).boundAddress();
    logger.info(
      {
        endpoint: options.endpoint,
        nodeId: options.nodeId,
        dataRoot: options.dataRoot,
        readinessAddress: formatBoundAddress(readiness),
        metricsAddress: metrics ? formatBoundAddress(metrics) : null,
        trustDomain: options.trustDomain,
        keyAlgorithm: options.keyAlgorithm,
        startupMs: Math.round(process.uptime() * 1000),
      },
      'csi-driver listening',
    );
  } catch (err) {
    logger.fatal({ err }, 'csi-driver failed to start');
    process.exit(1);
  }
}

void main();
