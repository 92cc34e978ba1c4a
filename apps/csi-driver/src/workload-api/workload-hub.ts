import {
  Server, ServerCredentials, status, type Metadata, type ServerUnaryCall, type ServerWritableStream,
  type sendUnaryData, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Socket } from 'node:net';
import { workloadServiceDefinition } from './workload-proto';

/** The spec's security header: a request without it was not made by a Workload API client. */
const SECURITY_HEADER = 'workload.spiffe.io';
const JWT_NOT_SERVED = 'the JWT-SVID profile is not served by this endpoint: cert-manager issues X.509 certificates only';
const GONE = 'this Workload API endpoint has closed';

export type WorkloadStream = ServerWritableStream<unknown, unknown>;

/** What the hub hands a call to: the one volume whose socket the call's connection came in on. */
export interface WorkloadCallTarget {
  openStream(call: WorkloadStream, kind: 'svid' | 'bundles'): void;
}

/** Feeds one accepted connection to the gRPC server, and ends the connections it was fed. */
export interface ConnectionSink {
  inject(socket: Socket): void;
  /** GOAWAY to its sessions now; whatever is still open after `graceMs` is destroyed. */
  drain(graceMs: number): void;
  destroy(): void;
}

/**
 * One gRPC server for every volume's Workload API endpoint. Each endpoint accepts on its own unix
 * socket (a plain net.Server) and hands the connection over; a grpc-js Server per socket cost
 * ~7 KB of heap each and its own http2 machinery. Which volume a call is for is still decided
 * only by the socket the kernel accepted its connection on: the endpoint labels the accepted
 * socket before handing it over (unix sockets have no remote address, so that slot, which
 * grpc-js reports as the call's peer, is free), and the hub routes on that label. A client
 * cannot choose it: it is set on our side of the connection, at accept.
 */
export class WorkloadApiHub {
  private server?: Server;
  private readonly targets = new Map<string, WorkloadCallTarget>();
  private nextLabel = 0;

  /** Registers an endpoint under a label never reused; returns where its connections go. */
  register(target: WorkloadCallTarget): ConnectionSink {
    const label = `workload-endpoint-${this.nextLabel++}`;
    this.targets.set(label, target);
    const injector = this.grpcServer().createConnectionInjector(ServerCredentials.createInsecure());
    return {
      inject: (socket) => {
        Object.defineProperty(socket, 'remoteAddress', { value: label, configurable: true });
        injector.injectConnection(socket);
      },
      drain: (graceMs) => injector.drain(graceMs),
      destroy: () => {
        this.targets.delete(label);
        injector.destroy();
      },
    };
  }

  /** Shutdown, after every endpoint closed. */
  close(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  private grpcServer(): Server {
    if (!this.server) {
      this.server = new Server();
      this.server.addService(workloadServiceDefinition(), this.handlers());
    }
    return this.server;
  }

  private handlers(): UntypedServiceImplementation {
    const refuse = (call: ServerUnaryCall<unknown, unknown> | WorkloadStream, callback?: sendUnaryData<unknown>) => {
      const error = headerError(call.metadata) ?? { code: status.UNIMPLEMENTED, details: JWT_NOT_SERVED };
      if (callback) callback(error);
      else (call as WorkloadStream).emit('error', error);
    };
    const stream = (kind: 'svid' | 'bundles') => (call: WorkloadStream) => {
      const error = headerError(call.metadata);
      const target = this.targets.get(call.getPeer());
      if (error) call.emit('error', error);
      else if (!target) call.emit('error', { code: status.UNAVAILABLE, details: GONE });
      else target.openStream(call, kind);
    };
    return {
      FetchX509SVID: stream('svid'),
      FetchX509Bundles: stream('bundles'),
      FetchJWTSVID: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => refuse(call, callback),
      FetchJWTBundles: (call: WorkloadStream) => refuse(call),
      ValidateJWTSVID: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => refuse(call, callback),
    };
  }
}

/** Every call, even one we do not implement, must carry the header (the spec's INVALID_ARGUMENT rule). */
function headerError(metadata: Metadata): { code: status; details: string } | undefined {
  const values = metadata.get(SECURITY_HEADER);
  if (values.length === 1 && values[0] === 'true') return undefined;
  return { code: status.INVALID_ARGUMENT, details: `the "${SECURITY_HEADER}: true" metadata header is required` };
}
