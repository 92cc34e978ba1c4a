import './memory-profile';
import 'reflect-metadata';
import { createLogger, loadOptionsOrExit, type DriverOptions } from '@spiffe-csi/config';
import { createApp, listenAndAnnounce, runMain } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { csiGrpcOptions, parseEndpoint, prepareUnixSocket, restrictUnixSocket } from './csi';
import { requestCredentialsOverrides } from './own-service-account';
import { issuerAndCaOverrides } from './sources';

let logger: Logger | undefined;

runMain('csi-driver', () => logger, async () => {
  const options = loadOptionsOrExit<DriverOptions>('csi-driver');
  logger = createLogger({ level: options.logLevel, name: 'csi-driver' });
  const overrides = [...(await issuerAndCaOverrides(options, logger)), ...requestCredentialsOverrides(options)];
  // One Nest application: HTTP for the probes plus the CSI gRPC microservice, one DI container.
  const app = await createApp(AppModule.forRoot(options, logger, overrides), logger);
  const endpoint = parseEndpoint(options.endpoint);
  if (endpoint.kind === 'unix') await prepareUnixSocket(endpoint.path);
  app.connectMicroservice(csiGrpcOptions(options.endpoint), { inheritAppConfig: true });
  await app.startAllMicroservices();
  if (endpoint.kind === 'unix') await restrictUnixSocket(endpoint.path);
  await listenAndAnnounce(app, 'csi-driver', logger, {
    endpoint: options.endpoint, nodeId: options.nodeId, dataRoot: options.dataRoot,
    trustDomain: options.trustDomain, keyAlgorithm: options.keyAlgorithm,
  });
});
