import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { status } from '@grpc/grpc-js';
import type { ConnectionSink, WorkloadApiHub, WorkloadCallTarget, WorkloadStream } from './workload-hub';
import { bindThroughShortPath, restrictSocket } from './workload-socket';
import type { X509SvidState } from './svid-state';

/** How long open streams get to finish before the endpoint's connections are torn down anyway. */
const SHUTDOWN_GRACE_MS = 1_000;
/**
 * Concurrent connections one volume's socket accepts. A workload needs one or a few (one per
 * process using a SPIFFE library); without a cap, a Pod opening thousands would take as many of
 * the driver's file descriptors, which every other volume on the node shares. Extra connections
 * are closed at once, before any byte is read; the client sees UNAVAILABLE and retries later.
 */
export const MAX_CONNECTIONS_PER_SOCKET = 32;

export interface WorkloadEndpointOptions {
  hub: WorkloadApiHub;
  maxConnections?: number;
  /** Told of each connection refused for being over the cap. */
  onRefused?: () => void;
}

/**
 * One volume's Workload API endpoint: its own unix socket, whose connections the shared gRPC
 * server (WorkloadApiHub) serves with this volume's SVID and nothing else, so the socket a client
 * connected to is all the attestation needed. Streams get the full state at once and again after
 * every change.
 */
export class WorkloadApiServer implements WorkloadCallTarget {
  private state?: X509SvidState;
  private unavailable = 'the volume has no SVID yet';
  private readonly svidStreams = new Set<WorkloadStream>();
  private readonly bundleStreams = new Set<WorkloadStream>();
  private readonly connections = new Set<Socket>();
  private readonly listener: NetServer;
  private readonly sink: ConnectionSink;

  private constructor(readonly socketPath: string, options: WorkloadEndpointOptions) {
    this.sink = options.hub.register(this);
    this.listener = createServer((socket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
      this.sink.inject(socket);
    });
    this.listener.maxConnections = options.maxConnections ?? MAX_CONNECTIONS_PER_SOCKET;
    if (options.onRefused) this.listener.on('drop', options.onRefused);
  }

  static async open(socketPath: string, gid: number | undefined, options: WorkloadEndpointOptions): Promise<WorkloadApiServer> {
    const endpoint = new WorkloadApiServer(socketPath, options);
    try {
      await bindThroughShortPath(socketPath, (shortPath) => endpoint.listen(shortPath));
      await restrictSocket(socketPath, gid);
    } catch (error) {
      await endpoint.close();
      throw error;
    }
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

  /** Connections open on this volume's socket now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Ends every open stream with OK, stops accepting, then closes the connections. Leaves the socket file to the caller. */
  async close(): Promise<void> {
    for (const stream of [...this.svidStreams, ...this.bundleStreams]) stream.end();
    this.svidStreams.clear();
    this.bundleStreams.clear();
    const stopped = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    this.sink.drain(SHUTDOWN_GRACE_MS);
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const socket of this.connections) socket.destroy();
    this.sink.destroy();
    await stopped;
  }

  openStream(call: WorkloadStream, kind: 'svid' | 'bundles'): void {
    if (!this.state) {
      call.emit('error', { code: status.UNAVAILABLE, details: this.unavailable });
      return;
    }
    const [streams, message] = kind === 'svid' ? [this.svidStreams, x509SvidResponse] : [this.bundleStreams, x509BundlesResponse];
    streams.add(call);
    const forget = () => streams.delete(call);
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
    call.write(message(this.state));
  }

  private listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(path, () => {
        this.listener.off('error', reject);
        resolve();
      });
    });
  }
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
