import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';

export interface KubeResponse<T = unknown> { status: number; body: T }
export interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: Record<string, unknown> }

/**
 * A minimal bearer-token client for the Kubernetes REST + watch protocol, with no dependency on
 * the simulator: the CA issuer and tests use it, and it works against a real kube-apiserver.
 */
export class PlainKubeClient {
  private readonly agent: HttpAgent;
  private readonly https: boolean;

  constructor(private readonly o: { url: string; token: string; caPem?: string }) {
    this.https = o.url.startsWith('https:');
    this.agent = this.https ? new HttpsAgent({ keepAlive: true, ca: o.caPem }) : new HttpAgent({ keepAlive: true });
  }

  /** JSON request; resolves for every HTTP status (the caller decides), rejects on transport errors. */
  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse<T>> {
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body), contentType);
    const text = await readAll(res);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // non-JSON answers (e.g. /healthz) are returned as text
    }
    return { status: res.statusCode ?? 0, body: parsed as T };
  }

  /**
   * Open a watch; `onEvent` gets every decoded line. `done` settles when the stream ends
   * (resolves on a clean end, rejects on non-200 or transport errors). `stop()` aborts it.
   */
  watch(path: string, query: Record<string, string>, onEvent: (e: WatchEvent) => void): { done: Promise<void>; stop(): void } {
    const params = new URLSearchParams({ ...query, watch: 'true' });
    const controller = new AbortController();
    const done = (async () => {
      const res = await this.send('GET', `${path}?${params}`, undefined, undefined, controller.signal);
      if (res.statusCode !== 200) {
        const text = await readAll(res);
        throw Object.assign(new Error(`watch ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`), { statusCode: res.statusCode });
      }
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      await new Promise<void>((resolve, reject) => {
        lines.on('line', (line) => {
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch {
            return; // a torn line from a cut connection
          }
          onEvent(event);
        });
        lines.on('close', () => resolve());
        // readline re-emits the stream's errors; a cut connection ends the watch with that error.
        const fail = (err: Error) => (controller.signal.aborted ? resolve() : reject(err));
        res.on('error', fail);
        lines.on('error', fail);
      });
    })();
    return { done, stop: () => controller.abort() };
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, body: string | undefined, contentType?: string, signal?: AbortSignal): Promise<IncomingMessage> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.o.token}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const doRequest = this.https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = doRequest(this.o.url + path, { method, headers, agent: this.agent, signal }, resolve);
      req.on('error', reject);
      req.end(body);
    });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
