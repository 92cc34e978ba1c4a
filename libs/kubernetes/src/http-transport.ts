import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeApiError } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** What the auth layer (KubeConfig) contributes to one request. */
export interface PreparedAuth {
  headers: Record<string, string>;
  tls: Pick<
    https.AgentOptions,
    'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
  >;
  /** Set only when the KubeConfig routes through a proxy; we then use its agent as-is. */
  proxyAgent?: http.Agent;
}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Keep-alive agents keyed by their TLS material, so connections with identical TLS settings
 * (e.g. every bearer-token connection derived from one parent) share sockets.
 */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  /** Credentials hand out the same TLS object on every request: hash it once. */
  private readonly keys = new WeakMap<object, string>();

  get(secure: boolean, tls: PreparedAuth['tls']): http.Agent {
    let tlsKey = this.keys.get(tls);
    if (!tlsKey) {
      tlsKey = fingerprint(tls);
      if (Object.isFrozen(tls)) this.keys.set(tls, tlsKey);
    }
    const key = `${secure ? 'https' : 'http'}:${tlsKey}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const base = { keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 16 };
      agent = secure ? new https.Agent({ ...base, ...tls }) : new http.Agent(base);
      if (this.agents.size >= 16) this.destroyOldest();
      this.agents.set(key, agent);
    }
    return agent;
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private destroyOldest(): void {
    const [key, agent] = this.agents.entries().next().value as [string, http.Agent];
    this.agents.delete(key);
    agent.destroy();
  }
}

function fingerprint(tls: PreparedAuth['tls']): string {
  const h = createHash('sha256');
  for (const part of [
    tls.ca,
    tls.cert,
    tls.key,
    tls.pfx,
    tls.passphrase,
    tls.servername,
    tls.rejectUnauthorized,
  ]) {
    h.update('\0').update(part === undefined ? '' : Buffer.isBuffer(part) ? part : String(part));
  }
  return h.digest('hex');
}

export function buildUrl(server: string, path: string, query?: Query): URL {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  return url;
}

export interface OpenRequest {
  method: HttpMethod;
  url: URL;
  path: string; // for error messages: the API path without query
  auth: PreparedAuth;
  agents: AgentPool;
  userAgent: string;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  accept?: string;
}

type Opened = { res: http.IncomingMessage; req: http.ClientRequest };

/** Sends one request and resolves with the response once headers arrive; non-2xx → KubeApiError. */
export async function openRequest(o: OpenRequest): Promise<Opened> {
  try {
    return await sendOnce(o);
  } catch (e) {
    // A pooled keep-alive socket the server had already closed: the request never reached it.
    // Node's documented remedy is to retry once on a fresh connection.
    if (!(e instanceof StaleSocketError)) throw e;
    return sendOnce(o).catch((again: unknown) => {
      throw again instanceof StaleSocketError ? toConnectionError(again, o.method, o.path) : again;
    });
  }
}

class StaleSocketError extends Error {}

function sendOnce(o: OpenRequest): Promise<Opened> {
  const secure = o.url.protocol === 'https:';
  const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
  const headers: Record<string, string> = {
    ...o.auth.headers,
    Accept: o.accept ?? 'application/json',
    'User-Agent': o.userAgent,
  };
  if (payload) {
    headers['Content-Type'] = o.contentType ?? 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  const agent = o.auth.proxyAgent ?? o.agents.get(secure, o.auth.tls);
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new KubeApiError(0, 'Aborted', 'request aborted', o.method, o.path));
      return;
    }
    const req = (secure ? https : http).request(o.url, { method: o.method, headers, agent });
    const onAbort = (): void => {
      req.destroy(new KubeApiError(0, 'Aborted', 'request aborted', o.method, o.path));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => o.signal?.removeEventListener('abort', onAbort));
    req.once('error', (err: NodeJS.ErrnoException) => {
      const stale =
        req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up');
      reject(stale ? new StaleSocketError(err.message) : toConnectionError(err, o.method, o.path));
    });
    req.once('response', (res) => {
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 300) {
        resolve({ res, req });
        return;
      }
      readBody(res, MAX_ERROR_BODY).then(
        (body) => reject(KubeApiError.fromResponse(o.method, o.path, code, body)),
        (err) => reject(toConnectionError(err, o.method, o.path)),
      );
    });
    req.end(payload);
  });
}

export function readBody(res: http.IncomingMessage, limit = Infinity): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < limit) chunks.push(c);
      size += c.length;
    });
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('response aborted')));
  });
}

export function toConnectionError(err: unknown, method: string, path: string): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new KubeApiError(0, 'ConnectionFailed', message, method, path);
}
