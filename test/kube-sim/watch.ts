import type { ServerResponse } from 'node:http';
import { jsonOf } from './json-cache';
import { apiVersionOf, type KubeObject, type ResourceType } from './resources';
import { combine, parseFieldSelector, parseLabelSelector, type Matcher } from './selectors';
import { badRequest, tooOldResourceVersion } from './status';
import type { ObjectStore, StoredEvent } from './store';

type WireType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A stream that buffers more than this is cut, as the real server drops watchers that fall behind. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export interface WatchOptions {
  /** How often BOOKMARK events go out when the client asked for them (allowWatchBookmarks). */
  bookmarkIntervalMs: number;
}

/**
 * Serves `?watch=true` requests: newline-delimited JSON events over one chunked response.
 * Fan-out cost per committed event is O(watchers of that resource); each event is serialised
 * once per wire type no matter how many watchers receive it.
 */
export class WatchHub {
  private readonly open = new Set<ServerResponse>();
  private readonly lineCache = new WeakMap<StoredEvent, Map<WireType, string>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: WatchOptions,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  /** Throws ApiError for bad parameters before anything is written, so the router can answer a Status. */
  serve(t: ResourceType, namespace: string | undefined, query: URLSearchParams, res: ServerResponse): void {
    const nsFilter: Matcher | undefined = namespace === undefined ? undefined : (o) => o.metadata.namespace === namespace;
    const matcher = combine(nsFilter, parseLabelSelector(query.get('labelSelector')), parseFieldSelector(query.get('fieldSelector'), t));
    const rvParam = query.get('resourceVersion') ?? '';
    if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version "${rvParam}"`);
    const sendInitial = rvParam === '' || rvParam === '0' || query.get('sendInitialEvents') === 'true';
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    const replay = sendInitial ? undefined : this.store.eventsAfter(t, Number(rvParam));

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    if (!sendInitial && replay === undefined) {
      const status = tooOldResourceVersion(rvParam, this.store.oldestResumableRevision() + 1).toStatus();
      res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
      return;
    }

    let corked = false;
    const send = (line: string) => {
      // A timer (bookmark) can fire after the stream was ended by a timeout or dropWatches().
      if (res.writableEnded || res.destroyed) return;
      // Coalesce the events of one tick into one socket write.
      if (!corked) {
        corked = true;
        res.cork();
        setImmediate(() => {
          corked = false;
          if (!res.destroyed) res.uncork();
        });
      }
      res.write(line);
      if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
    };
    // Subscribing and replaying happen in the same tick, so no committed event can fall in between.
    const unsubscribe = this.store.subscribe(t, (event) => {
      const line = this.lineFor(event, matcher);
      if (line) send(line);
    });
    if (sendInitial) {
      for (const obj of this.store.list(t, namespace)) {
        if (!matcher || matcher(obj)) send(JSON.stringify({ type: 'ADDED', object: obj }) + '\n');
      }
      if (query.get('sendInitialEvents') === 'true' && bookmarks) {
        send(this.bookmark(t, { 'k8s.io/initial-events-end': 'true' }));
      }
    } else {
      for (const event of replay!) {
        const line = this.lineFor(event, matcher);
        if (line) send(line);
      }
    }

    const timers: NodeJS.Timeout[] = [];
    if (bookmarks) timers.push(setInterval(() => send(this.bookmark(t)), this.options.bookmarkIntervalMs));
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
    this.open.add(res);
    res.on('close', () => {
      this.open.delete(res);
      unsubscribe();
      timers.forEach((timer) => clearTimeout(timer));
    });
  }

  /** End every open watch stream cleanly (the client sees the response finish). */
  dropAll(): void {
    for (const res of [...this.open]) res.end();
  }

  private bookmark(t: ResourceType, annotations?: Record<string, string>): string {
    const metadata = { resourceVersion: String(this.store.currentRevision()), ...(annotations ? { annotations } : {}) };
    return JSON.stringify({ type: 'BOOKMARK', object: { kind: t.kind, apiVersion: apiVersionOf(t), metadata } }) + '\n';
  }

  /** What this watcher sees of an event: selector transitions become ADDED/DELETED, like the watch cache. */
  private lineFor(event: StoredEvent, matcher: Matcher | undefined): string | undefined {
    if (!matcher) return this.cachedLine(event, event.type, event.object);
    const now = event.type !== 'DELETED' && matcher(event.object);
    const before = event.type === 'ADDED' ? false : event.previous ? matcher(event.previous) : false;
    if (event.type === 'DELETED') return before ? this.cachedLine(event, 'DELETED', event.object) : undefined;
    if (now && before) return this.cachedLine(event, 'MODIFIED', event.object);
    if (now) return this.cachedLine(event, 'ADDED', event.object);
    if (before) {
      const last: KubeObject = { ...event.previous!, metadata: { ...event.previous!.metadata, resourceVersion: String(event.rv) } };
      return this.cachedLine(event, 'DELETED', last);
    }
    return undefined;
  }

  private cachedLine(event: StoredEvent, type: WireType, object: KubeObject): string {
    let byType = this.lineCache.get(event);
    if (!byType) this.lineCache.set(event, (byType = new Map()));
    let line = byType.get(type);
    if (line === undefined) byType.set(type, (line = `{"type":"${type}","object":${jsonOf(object)}}\n`));
    return line;
  }
}
