import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  Optional,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { status } from '@grpc/grpc-js';
import { type Observable, tap } from 'rxjs';
import { type CsiLogger, LOGGER } from './ports';
import { redactRequest } from './redact';
import { logLevelFor, publicFailure } from './rpc-failure';

/** Handler metadata: the CSI RPC a method serves, as "<Service>/<Method>" (set by @CsiRpc). */
export const CSI_RPC_NAME = 'csi-driver:rpc-name';

// Used only when the module provides no LOGGER (e.g. a bare unit test).
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
 * Every CSI RPC's log lines: the request at debug with secrets and SA tokens removed, the outcome
 * with its duration — success at debug, failure at warn (caller or cluster must act) or error
 * (driver fault) with the status kubelet gets and token values scrubbed from any error text.
 * Turning the failure into that status is CsiRpcStatusFilter's job; this only observes.
 */
@Injectable()
export class CsiRpcLoggingInterceptor implements NestInterceptor {
  private readonly logger: CsiLogger;

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(LOGGER) logger?: CsiLogger,
  ) {
    this.logger = logger ?? fallbackLogger;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpc = this.reflector.get<string>(CSI_RPC_NAME, context.getHandler());
    const request: unknown = context.switchToRpc().getData();
    const started = performance.now();
    this.logger.debug({ rpc, request: redactRequest(request) }, 'gRPC call');
    return next.handle().pipe(
      tap({
        next: (response) =>
          this.logger.debug({ rpc, response, durationMs: elapsed(started) }, 'gRPC call succeeded'),
        error: (err: unknown) => {
          const failure = publicFailure(err, rpc, request);
          const fields: Record<string, unknown> = {
            rpc,
            code: status[failure.code],
            grpcCode: failure.code,
            message: failure.message,
            durationMs: elapsed(started),
          };
          if (failure.detail !== undefined) fields.cause = failure.detail;
          this.logger[logLevelFor(failure.code)](fields, 'gRPC call failed');
        },
      }),
    );
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
