import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import type { NestMicroserviceOptions } from '@nestjs/common/interfaces/microservices/nest-microservice-options.interface';
import { NestFactory } from '@nestjs/core';
import type { IEntryNestModule } from '@nestjs/core/nest-factory';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { parseEndpoint, prepareUnixSocket, restrictUnixSocket } from './endpoint';

export const CSI_PROTO_PACKAGE = 'csi.v1';
const PROTO_RELATIVE = join('proto', 'csi.proto');

/**
 * proto/csi.proto sits at the repository root in a checkout and next to the bundle in dist
 * (nest-cli assets); walking up from this file finds it in both layouts.
 */
export function resolveCsiProtoPath(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, PROTO_RELATIVE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const fromCwd = join(process.cwd(), PROTO_RELATIVE);
  if (existsSync(fromCwd)) return fromCwd;
  throw new Error(`cannot find ${PROTO_RELATIVE} above ${start} or in ${process.cwd()}`);
}

/** Microservice options for serving the CSI services on --endpoint. */
export function csiGrpcOptions(
  endpoint: string,
  protoPath: string = resolveCsiProtoPath(),
): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      url: parseEndpoint(endpoint).grpcUrl,
      package: CSI_PROTO_PACKAGE,
      protoPath,
      gracefulShutdown: true,
      loader: { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
    },
  };
}

/** Creates (does not start) the CSI gRPC microservice, after making the unix socket path bindable. */
export async function createCsiMicroservice(
  appModule: IEntryNestModule,
  endpoint: string,
  nestOptions: NestMicroserviceOptions = {},
): Promise<INestMicroservice> {
  const parsed = parseEndpoint(endpoint);
  if (parsed.kind === 'unix') await prepareUnixSocket(parsed.path);
  return NestFactory.createMicroservice(appModule, { ...nestOptions, ...csiGrpcOptions(endpoint) });
}

/** Creates and starts the microservice; a unix socket is then made accessible to root only. */
export async function startCsiMicroservice(
  appModule: IEntryNestModule,
  endpoint: string,
  nestOptions: NestMicroserviceOptions = {},
): Promise<INestMicroservice> {
  const app = await createCsiMicroservice(appModule, endpoint, nestOptions);
  await app.listen();
  const parsed = parseEndpoint(endpoint);
  if (parsed.kind === 'unix') await restrictUnixSocket(parsed.path);
  return app;
}
