import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export interface X509SvidMessage {
  svids: { spiffe_id: string; x509_svid: Buffer; x509_svid_key: Buffer; bundle: Buffer; hint: string }[];
}
export interface X509BundlesMessage {
  bundles: Record<string, Buffer>;
}

/** Reads a server stream one message at a time; `next` rejects with the stream's error status. */
export class StreamReader<T> {
  private readonly queue: T[] = [];
  private waiter?: () => void;
  private error?: ServiceError;
  /** Resolves with the final status code once the stream ends (0 = OK). */
  readonly ended: Promise<number>;

  constructor(readonly stream: ClientReadableStream<T>) {
    stream.on('data', (m: T) => this.push(() => this.queue.push(m)));
    stream.on('error', (e: ServiceError) => this.push(() => (this.error = e)));
    this.ended = new Promise((resolve) => stream.on('status', (s: { code: number }) => resolve(s.code)));
  }

  async next(timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.error) throw this.error;
      if (Date.now() > deadline) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.queue.shift() as T;
  }

  /** Messages received but not yet taken. */
  get pending(): number {
    return this.queue.length;
  }

  cancel(): void {
    this.stream.cancel();
  }

  private push(apply: () => void): void {
    apply();
    this.waiter?.();
  }
}

type Method = 'FetchX509SVID' | 'FetchX509Bundles' | 'FetchJWTBundles';

/**
 * A Workload API client the way the spec describes one: dials the unix socket, sends the
 * `workload.spiffe.io: true` header (unless told not to), reads streams. It loads the proto
 * itself and shares no code with the server.
 */
export class WorkloadClient {
  private readonly client: Client & Record<string, (...args: unknown[]) => unknown>;

  constructor(socketPath: string, channelOptions: Record<string, string | number> = {}) {
    const proto = loadPackageDefinition(loadSync(join(process.cwd(), 'proto', 'workload.proto'), { keepCase: true, defaults: true }));
    const Service = proto.SpiffeWorkloadAPI as unknown as new (address: string, creds: unknown, options: object) => WorkloadClient['client'];
    this.client = new Service(`unix:${socketPath}`, credentials.createInsecure(), channelOptions);
  }

  stream<T>(method: Method, header = true): StreamReader<T> {
    return new StreamReader(this.client[method]({}, metadata(header)) as ClientReadableStream<T>);
  }

  fetchX509Svid(header = true): StreamReader<X509SvidMessage> {
    return this.stream('FetchX509SVID', header);
  }

  fetchX509Bundles(header = true): StreamReader<X509BundlesMessage> {
    return this.stream('FetchX509Bundles', header);
  }

  /** A unary call's error status code (0 when it succeeded) and message. */
  unary(method: 'FetchJWTSVID' | 'ValidateJWTSVID', header = true): Promise<{ code: number; details: string }> {
    return new Promise((resolve) => {
      this.client[method]({ audience: method === 'FetchJWTSVID' ? ['a'] : 'a' }, metadata(header),
        (err: ServiceError | null) => resolve({ code: err?.code ?? 0, details: err?.details ?? '' }));
    });
  }

  close(): void {
    this.client.close();
  }
}

function metadata(header: boolean): Metadata {
  const m = new Metadata();
  if (header) m.set('workload.spiffe.io', 'true');
  return m;
}

/** Splits the spec's concatenated DER certificates (node:crypto reads one and says how long it was). */
export function splitDer(der: Buffer): X509Certificate[] {
  const certs: X509Certificate[] = [];
  for (let rest = der; rest.length > 0;) {
    const cert = new X509Certificate(rest);
    certs.push(cert);
    rest = rest.subarray(cert.raw.length);
  }
  return certs;
}
