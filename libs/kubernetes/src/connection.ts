import { inspect } from 'node:util';
import { KubeApiError } from './errors';
import {
  AgentPool,
  buildUrl,
  openRequest,
  readBody,
  type HttpMethod,
  type PreparedAuth,
  type Query,
  type RequestOptions,
} from './http-transport';
import { loadKubeConfig, type ApiCredentials, type KubeConfigSource } from './kubeconfig-loader';
import { silentLogger, type KubeLogger } from './logger';
import { readWatchEvents, type WatchEvent } from './watch-stream';

export type KubeConnectionSource = KubeConfigSource | 'bearer-token';

export interface KubeConnectionOptions {
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  inClusterPathPrefix?: string;
  requestTimeoutMs?: number;
  userAgent?: string;
  logger?: KubeLogger;
}

type SharedOptions = Pick<KubeConnectionOptions, 'requestTimeoutMs' | 'userAgent' | 'logger'>;

/** An authenticated route to one API server. Holds credentials privately; serialises without them. */
export class KubeConnection {
  readonly #credentials: ApiCredentials;
  readonly #agents: AgentPool;
  readonly #ownsAgents: boolean;
  readonly server: string;
  readonly namespace: string | undefined;
  readonly logger: KubeLogger;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;

  private constructor(
    credentials: ApiCredentials,
    readonly source: KubeConnectionSource,
    opts: SharedOptions,
    agents?: AgentPool,
  ) {
    this.#credentials = credentials;
    this.#agents = agents ?? new AgentPool();
    this.#ownsAgents = !agents;
    this.server = credentials.server;
    this.namespace = credentials.namespace;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? 'csi-driver-spiffe';
    this.logger = opts.logger ?? silentLogger;
  }

  /** --kubeconfig, else $KUBECONFIG, else in-cluster; KubeConfigError says what was tried. */
  static load(opts: KubeConnectionOptions = {}): KubeConnection {
    const { credentials, source } = loadKubeConfig(opts);
    return new KubeConnection(credentials, source, opts);
  }

  /**
   * Same server and TLS trust (CA, server name, skipTLSVerify, proxy) but authenticated only by
   * `token`: client certificates, exec/auth providers, basic auth and impersonation are dropped, so
   * the API server sees the token's identity (the driver acts as the Pod's ServiceAccount).
   */
  asBearerToken(token: string): KubeConnection {
    if (!token || /[\s\0]/.test(token))
      throw new Error('asBearerToken: token must be a non-empty string without whitespace');
    return new KubeConnection(
      this.#credentials.withBearerToken(token),
      'bearer-token',
      { requestTimeoutMs: this.requestTimeoutMs, userAgent: this.userAgent, logger: this.logger },
      this.#agents,
    );
  }

  /** One JSON request; resolves with the parsed body (undefined when empty). */
  async request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    // A plain timer cleared on completion: Node 20's AbortSignal.timeout() keeps every signal
    // alive through a FinalizationRegistry, a visible GC cost at hundreds of requests a second.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), opts.timeoutMs ?? this.requestTimeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
    try {
      const { res } = await openRequest({
        method,
        url: buildUrl(this.server, path, opts.query),
        path,
        auth: await this.prepareAuth(method, path),
        agents: this.#agents,
        userAgent: this.userAgent,
        body: opts.body,
        contentType: opts.contentType,
        signal,
      });
      const body = await readBody(res);
      return (body.trim() === '' ? undefined : JSON.parse(body)) as T;
    } catch (e) {
      if (timeout.signal.aborted && !opts.signal?.aborted) {
        throw new KubeApiError(
          0,
          'Timeout',
          `no response within ${opts.timeoutMs ?? this.requestTimeoutMs} ms`,
          method,
          path,
        );
      }
      if (e instanceof SyntaxError)
        throw new KubeApiError(0, 'InvalidResponse', 'response is not JSON', method, path);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Opens a watch (`watch=1` is added) and yields its events until the server ends the stream,
   * the signal aborts (then it just returns), or nothing arrives for idleTimeoutMs (→ KubeApiError 0 Timeout).
   * HTTP errors (e.g. 410) are thrown before the first event.
   */
  async *watch<T>(
    path: string,
    query: Query,
    signal: AbortSignal,
    idleTimeoutMs = 330_000,
  ): AsyncGenerator<WatchEvent<T>> {
    if (signal.aborted) return;
    let opened: Awaited<ReturnType<typeof openRequest>>;
    try {
      opened = await openRequest({
        method: 'GET',
        url: buildUrl(this.server, path, { ...query, watch: 1 }),
        path,
        auth: await this.prepareAuth('GET', path),
        agents: this.#agents,
        userAgent: this.userAgent,
        signal,
      });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    yield* readWatchEvents<T>(opened.res, opened.req, { signal, idleTimeoutMs, path });
  }

  /** Closes pooled keep-alive sockets (of this connection and every bearer connection derived from it). */
  close(): void {
    if (this.#ownsAgents) this.#agents.destroy();
  }

  toJSON(): object {
    return { server: this.server, source: this.source };
  }

  [inspect.custom](): string {
    return `KubeConnection(${this.server}, ${this.source})`;
  }

  private async prepareAuth(method: string, path: string): Promise<PreparedAuth> {
    try {
      return await this.#credentials.prepare();
    } catch (e) {
      throw new KubeApiError(
        0,
        'AuthenticationFailed',
        e instanceof Error ? e.message : String(e),
        method,
        path,
      );
    }
  }
}
