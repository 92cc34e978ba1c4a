import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { publicFailure } from './rpc-failure';

/**
 * Turns whatever a CSI handler threw into the gRPC status kubelet gets (rpc-failure.ts decides
 * which). Nest's gRPC server hands the error of the returned Observable to grpc-js, which sends a
 * `{ code, message }` object as that status; nothing else of the error leaves the process.
 */
@Catch()
export class CsiRpcStatusFilter implements RpcExceptionFilter<unknown> {
  /** `rpc` names the fixed INTERNAL message; the arguments host does not know the handler. */
  constructor(private readonly rpc: string) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const { code, message } = publicFailure(exception, this.rpc, host.switchToRpc().getData());
    return throwError(() => ({ code, message }));
  }
}
