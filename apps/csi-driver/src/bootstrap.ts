import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { DriverOptions } from '@spiffe-csi/config';
import { createApp, listenAndAnnounce } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { csiGrpcOptions, parseEndpoint, prepareUnixSocket, restrictUnixSocket } from './csi';

/**
 * Starts the driver from its root module: one Nest application serving HTTP for the probes plus
 * the CSI gRPC microservice, one DI container. main.ts and the tests both start it here, so the
 * tests see the production logger, error handling and socket permissions; only the module
 * (which providers are fakes) differs. The module must include ConfigModule and ObservabilityModule.
 */
export async function bootstrapDriver(
  module: DynamicModule, options: DriverOptions, logger: Logger,
): Promise<INestApplication> {
  // The socket path is made bindable before the container exists, so a bad path (a directory)
  // fails startup with nothing left open to close.
  const endpoint = parseEndpoint(options.endpoint);
  if (endpoint.kind === 'unix') await prepareUnixSocket(endpoint.path);
  const app = await createApp(module, logger);
  app.connectMicroservice(csiGrpcOptions(options.endpoint), { inheritAppConfig: true });
  await app.startAllMicroservices();
  // Only once the socket exists can it be made accessible to root alone.
  if (endpoint.kind === 'unix') await restrictUnixSocket(endpoint.path);
  await listenAndAnnounce(app, 'csi-driver', logger, {
    endpoint: options.endpoint, nodeId: options.nodeId, dataRoot: options.dataRoot,
    trustDomain: options.trustDomain, keyAlgorithm: options.keyAlgorithm,
  });
  return app;
}
