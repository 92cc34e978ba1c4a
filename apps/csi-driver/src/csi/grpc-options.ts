import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { parseEndpoint } from './endpoint';

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
