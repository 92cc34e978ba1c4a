import { applyDecorators, SetMetadata, UseFilters, UseInterceptors } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { CSI_RPC_NAME, CsiRpcLoggingInterceptor } from './rpc-logging.interceptor';
import { CsiRpcStatusFilter } from './rpc-status.filter';

export type CsiService = 'Identity' | 'Node';

/**
 * Binds a controller method to a CSI RPC (like GrpcMethod) and gives every RPC the same edges, the
 * Nest way: CsiRpcLoggingInterceptor logs the request (secrets and SA tokens removed) and the
 * outcome with its duration; CsiRpcStatusFilter turns any failure into the gRPC status kubelet
 * gets — a DomainError by its kind, a CsiError as is, anything else INTERNAL with a fixed message.
 */
export function CsiRpc(service: CsiService, method: string): MethodDecorator {
  const rpc = `${service}/${method}`;
  return applyDecorators(
    SetMetadata(CSI_RPC_NAME, rpc),
    UseInterceptors(CsiRpcLoggingInterceptor),
    UseFilters(new CsiRpcStatusFilter(rpc)),
    GrpcMethod(service, method),
  );
}
