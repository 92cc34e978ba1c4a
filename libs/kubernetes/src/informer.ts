import { RetryBackoff, jitter, sleep, type RetryBackoffOptions } from './backoff';
import type { KubeConnection } from './connection';
import { KubeApiError, isGone, type KubeStatus } from './errors';
import type { Query } from './http-transport';
import { InformerStore, type InformerHandlers } from './informer-store';
import { describeError, silentLogger, type KubeLogger } from './logger';
import type { KubeList, KubeObject } from './objects';

export interface InformerOptions {
  /** Collection path, e.g. '/apis/cert-manager.io/v1/certificaterequests' or '/api/v1/namespaces/ns/configmaps'. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  watchTimeoutSeconds?: number;
  backoff?: RetryBackoffOptions;
  pageSize?: number;
  logger?: KubeLogger;
  name?: string;
}

type WatchOutcome = 'ended' | 'gone';

/** Grace on top of the server-side watch timeout before a silent stream is declared dead. */
const IDLE_GRACE_MS = 30_000;
/** A watch that ends sooner than this without delivering anything counts as a failure (no hot loop). */
const MIN_HEALTHY_WATCH_MS = 1_000;

/**
 * List + watch of one collection into a cache, with client-go's recovery rules: re-watch from the
 * last resourceVersion after a dropped or timed-out stream, relist on 410 Gone (HTTP or ERROR event),
 * capped jittered backoff while the API server is unreachable.
 */
export class Informer<T extends KubeObject> {
  private readonly store: InformerStore<T>;
  private readonly logger: KubeLogger;
  private readonly name: string;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private synced = false;
  private stopped = false;
  private readonly syncWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private rv: string | undefined;

  constructor(
    private readonly conn: KubeConnection,
    private readonly opts: InformerOptions,
  ) {
    this.logger = opts.logger ?? conn.logger ?? silentLogger;
    this.name = opts.name ?? opts.path;
    this.store = new InformerStore<T>(this.logger, this.name);
  }

  get lastResourceVersion(): string | undefined {
    return this.rv;
  }

  /** Returns an unsubscribe function; a late subscriber first gets onAdd for every cached object. */
  addHandlers(h: InformerHandlers<T>): () => void {
    return this.store.addHandlers(h, this.synced);
  }

  start(): void {
    if (this.abort || this.stopped) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops watching; resolves once the background loop has exited. No handler runs afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.store.mute();
    this.abort?.abort();
    for (const w of this.syncWaiters)
      w.reject(new Error(`informer ${this.name} stopped before sync`));
    this.syncWaiters.clear();
    await this.loop;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`informer ${this.name} is stopped`));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        resolve: () => finish(resolve),
        reject: (e: Error) => finish(() => reject(e)),
      };
      const onAbort = (): void =>
        waiter.reject(new Error(`waiting for informer ${this.name} sync aborted`));
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.syncWaiters.delete(waiter);
        f();
      };
      this.syncWaiters.add(waiter);
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            waiter.reject(
              new Error(`informer ${this.name} not synced within ${opts.timeoutMs} ms`),
            ),
          opts.timeoutMs,
        );
      }
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return this.store.list();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = new RetryBackoff(this.opts.backoff);
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        const started = Date.now();
        const { outcome, events } = await this.watchOnce(signal);
        if (outcome === 'gone') {
          this.logger.info({ informer: this.name, rv: this.rv }, 'watch expired (410); relisting');
          needList = true;
        } else if (events === 0 && Date.now() - started < MIN_HEALTHY_WATCH_MS) {
          await sleep(backoff.next(), signal);
        } else {
          backoff.reset();
        }
      } catch (e) {
        if (signal.aborted) break;
        if (isGone(e)) {
          this.logger.info(
            { informer: this.name, rv: this.rv },
            'resourceVersion too old (410); relisting',
          );
          needList = true;
          continue;
        }
        // Like client-go's reflector: refused connections and throttling resume the watch from the
        // last resourceVersion; anything else the server rejected needs a fresh list.
        if (!resumable(e)) needList = true;
        const delay = backoff.next();
        this.logger.warn(
          { informer: this.name, retryInMs: Math.round(delay), ...describeError(e) },
          'list/watch failed; retrying',
        );
        await sleep(delay, signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.conn.request<KubeList<T>>('GET', this.opts.path, {
        query: { ...this.selectors(), limit: this.opts.pageSize ?? 500, continue: cont },
        signal,
      });
      items.push(...withTypeMeta(page));
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont && !signal.aborted);
    if (signal.aborted) return;
    this.store.replace(items);
    this.rv = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of [...this.syncWaiters]) w.resolve();
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<{ outcome: WatchOutcome; events: number }> {
    const timeoutSeconds = Math.max(1, Math.round(jitter(this.opts.watchTimeoutSeconds ?? 300)));
    const query: Query = {
      ...this.selectors(),
      resourceVersion: this.rv,
      allowWatchBookmarks: true,
      timeoutSeconds,
    };
    const stream = this.conn.watch<T>(
      this.opts.path,
      query,
      signal,
      timeoutSeconds * 1000 + IDLE_GRACE_MS,
    );
    let events = 0;
    for await (const event of stream) {
      if (signal.aborted) break;
      events++;
      if (event.type === 'ERROR') {
        const status = event.object as KubeStatus;
        if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone')
          return { outcome: 'gone', events };
        throw KubeApiError.fromStatus('GET', this.opts.path, status);
      }
      const obj = event.object as T;
      if (event.type === 'ADDED' || event.type === 'MODIFIED') this.store.upsert(obj);
      else if (event.type === 'DELETED') this.store.remove(obj);
      if (obj.metadata?.resourceVersion) this.rv = obj.metadata.resourceVersion;
    }
    return { outcome: 'ended', events };
  }

  private selectors(): Query {
    return {
      labelSelector: this.opts.labelSelector || undefined,
      fieldSelector: this.opts.fieldSelector || undefined,
    };
  }
}

/** List items carry no apiVersion/kind (watch events do); stamp them so cached objects are uniform. */
function withTypeMeta<T extends KubeObject>(page: KubeList<T>): T[] {
  const kind = page.kind?.replace(/List$/, '');
  return (page.items ?? []).map((i) => ({ apiVersion: page.apiVersion, kind, ...i }));
}

const resumable = (e: unknown): boolean =>
  e instanceof KubeApiError && (e.code === 0 || e.code === 429);

export type { InformerHandlers };
