import {
  Server, ServerCredentials, status, type Metadata, type ServerUnaryCall, type ServerWritableStream,
  type sendUnaryData, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { bindThroughShortPath, restrictSocket } from './workload-socket';
import { workloadServiceDefinition } from './workload-proto';
import type { X509SvidState } from './svid-state';

/** The spec's security header: a request without it was not made by a Workload API client. */
const SECURITY_HEADER = 'workload.spiffe.io';
const JWT_NOT_SERVED = 'the JWT-SVID profile is not served by this endpoint: cert-manager issues X.509 certificates only';
/** How long open streams get to finish before the server is torn down anyway. */
const SHUTDOWN_GRACE_MS = 1_000;

type Stream = ServerWritableStream<unknown, unknown>;

/**
 * One volume's Workload API endpoint: a gRPC server of its own on the volume's socket, so the
 * socket a client connected to is all the attestation needed: it serves this volume's SVID and
 * nothing else. Streams get the full state at once and again after every change.
 */
export class WorkloadApiServer {
  private state?: X509SvidState;
  private unavailable = 'the volume has no SVID yet';
  private readonly svidStreams = new Set<Stream>();
  private readonly bundleStreams = new Set<Stream>();

  private constructor(private readonly server: Server, readonly socketPath: string) {}

  static async open(socketPath: string, gid: number | undefined): Promise<WorkloadApiServer> {
    const server = new Server();
    const endpoint = new WorkloadApiServer(server, socketPath);
    server.addService(workloadServiceDefinition(), endpoint.handlers());
    await bindThroughShortPath(socketPath, (shortPath) => new Promise<number>((resolve, reject) =>
      server.bindAsync(`unix:${shortPath}`, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)))));
    await restrictSocket(socketPath, gid);
    return endpoint;
  }

  /** Serves `state` (pushed to open streams) or, with undefined, answers new calls UNAVAILABLE. */
  update(state: X509SvidState | undefined, unavailableReason = 'the volume has no servable SVID'): void {
    const bundleChanged = !this.state || !state || !Buffer.concat(this.state.bundleDer).equals(Buffer.concat(state.bundleDer));
    this.state = state;
    this.unavailable = unavailableReason;
    if (!state) return; // open streams keep the last good state: never a mismatched pair
    for (const stream of this.svidStreams) stream.write(x509SvidResponse(state));
    if (bundleChanged) for (const stream of this.bundleStreams) stream.write(x509BundlesResponse(state));
  }

  /** Group of the socket, following the volume's fs-group. */
  async setGroup(gid: number | undefined): Promise<void> {
    await restrictSocket(this.socketPath, gid);
  }

  /** Ends every open stream with OK, then stops the server. Leaves the socket file to the caller. */
  async close(): Promise<void> {
    for (const stream of [...this.svidStreams, ...this.bundleStreams]) stream.end();
    this.svidStreams.clear();
    this.bundleStreams.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private handlers(): UntypedServiceImplementation {
    const unimplemented = (call: ServerUnaryCall<unknown, unknown> | Stream, callback?: sendUnaryData<unknown>) => {
      const error = headerError(call.metadata) ?? { code: status.UNIMPLEMENTED, details: JWT_NOT_SERVED };
      if (callback) callback(error);
      else (call as Stream).emit('error', error);
    };
    return {
      FetchX509SVID: (call: Stream) => this.openStream(call, this.svidStreams, x509SvidResponse),
      FetchX509Bundles: (call: Stream) => this.openStream(call, this.bundleStreams, x509BundlesResponse),
      FetchJWTSVID: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => unimplemented(call, callback),
      FetchJWTBundles: (call: Stream) => unimplemented(call),
      ValidateJWTSVID: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => unimplemented(call, callback),
    };
  }

  private openStream(call: Stream, streams: Set<Stream>, message: (state: X509SvidState) => unknown): void {
    const missingHeader = headerError(call.metadata);
    if (missingHeader) {
      call.emit('error', missingHeader);
      return;
    }
    if (!this.state) {
      call.emit('error', { code: status.UNAVAILABLE, details: this.unavailable });
      return;
    }
    streams.add(call);
    const forget = () => streams.delete(call);
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
    call.write(message(this.state));
  }
}

/** Every call, even one we do not implement, must carry the header (the spec's INVALID_ARGUMENT rule). */
function headerError(metadata: Metadata): { code: status; details: string } | undefined {
  const values = metadata.get(SECURITY_HEADER);
  if (values.length === 1 && values[0] === 'true') return undefined;
  return { code: status.INVALID_ARGUMENT, details: `the "${SECURITY_HEADER}: true" metadata header is required` };
}

function x509SvidResponse(state: X509SvidState) {
  return {
    svids: [{
      spiffe_id: state.spiffeId,
      x509_svid: Buffer.concat(state.chainDer),
      x509_svid_key: state.keyDer,
      bundle: Buffer.concat(state.bundleDer),
    }],
  };
}

function x509BundlesResponse(state: X509SvidState) {
  return { bundles: { [state.trustDomainId]: Buffer.concat(state.bundleDer) } };
}
