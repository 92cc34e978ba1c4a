import { applyDecorators, Logger } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import type { CsiLogger } from './ports';
import { redactRequest, scrub, sensitiveValuesOf } from './redact';
import { logLevelFor, toRpcException, toRpcFailure } from './rpc-failure';

export type CsiService = 'Identity' | 'Node';

/** A controller whose RPCs log through the injected driver logger. */
export interface CsiRpcHost {
  readonly logger?: CsiLogger;
}

type RpcHandler = (this: CsiRpcHost, request: unknown, ...rest: unknown[]) => unknown;

// Used only when a controller has no logger of its own (e.g. a bare unit test).
const fallbackLogger: CsiLogger = (() => {
  const nest = new Logger('CsiRpc');
  const line = (obj: unknown, msg?: string) => `${msg ?? ''} ${JSON.stringify(obj)}`;
  return {
    debug: (obj: unknown, msg?: string) => nest.debug(line(obj, msg)),
    info: (obj: unknown, msg?: string) => nest.log(line(obj, msg)),
    warn: (obj: unknown, msg?: string) => nest.warn(line(obj, msg)),
    error: (obj: unknown, msg?: string) => nest.error(line(obj, msg)),
  } as CsiLogger;
})();

/**
 * Binds a controller method to a CSI RPC (like GrpcMethod) and gives every RPC the same edges:
 * the request is logged at debug with secrets and SA tokens removed; every failure is logged (warn
 * for caller/cluster problems, error for driver faults) and reaches the client as a gRPC status —
 * CsiError keeps its code and message, anything else becomes INTERNAL with a fixed message.
 */
export function CsiRpc(service: CsiService, method: string): MethodDecorator {
  return applyDecorators(wrapWithRpcEdges(`${service}/${method}`), GrpcMethod(service, method));
}

function wrapWithRpcEdges(rpc: string): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as RpcHandler;
    const wrapped: RpcHandler = async function (this: CsiRpcHost, request, ...rest) {
      const logger = this.logger ?? fallbackLogger;
      const started = performance.now();
      logger.debug({ rpc, request: redactRequest(request) }, 'gRPC call');
      try {
        const response = await original.call(this, request, ...rest);
        logger.debug({ rpc, response, durationMs: elapsed(started) }, 'gRPC call succeeded');
        return response;
      } catch (err) {
        const failure = toRpcFailure(err, rpc);
        const secrets = sensitiveValuesOf(request);
        const fields: Record<string, unknown> = {
          rpc,
          code: status[failure.code],
          grpcCode: failure.code,
          message: scrub(failure.message, secrets),
          durationMs: elapsed(started),
        };
        if (failure.detail !== undefined) fields.cause = scrub(failure.detail, secrets);
        logger[logLevelFor(failure.code)](fields, 'gRPC call failed');
        throw toRpcException({ ...failure, message: scrub(failure.message, secrets) });
      }
    };
    // Keep metadata other decorators may already have put on the method.
    for (const key of Reflect.getMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
    }
    Object.defineProperty(wrapped, 'name', { value: original.name });
    descriptor.value = wrapped;
    return descriptor;
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
