import type * as http from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { KubeApiError, type KubeStatus } from './errors';
import { toConnectionError } from './http-transport';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T | KubeStatus;
}

const MAX_LINE = 16 * 1024 * 1024;

/** Parses a newline-delimited JSON watch body; guards against silent half-open connections. */
export async function* readWatchEvents<T>(
  res: http.IncomingMessage,
  req: http.ClientRequest,
  o: { signal: AbortSignal; idleTimeoutMs: number; path: string },
): AsyncGenerator<WatchEvent<T>> {
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdleTimer = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(
      () =>
        res.destroy(
          new KubeApiError(0, 'Timeout', `watch idle for ${o.idleTimeoutMs} ms`, 'GET', o.path),
        ),
      o.idleTimeoutMs,
    );
  };
  const onAbort = (): void => {
    res.destroy();
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  armIdleTimer();
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      armIdleTimer();
      buffer += decoder.write(chunk);
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) yield parseEvent<T>(line, o.path);
        if (o.signal.aborted) return;
      }
      if (buffer.length > MAX_LINE)
        throw new KubeApiError(0, 'InvalidResponse', 'watch event too large', 'GET', o.path);
    }
    const rest = (buffer + decoder.end()).trim();
    if (rest && !o.signal.aborted) yield parseEvent<T>(rest, o.path);
  } catch (e) {
    if (o.signal.aborted) return;
    throw toConnectionError(e, 'GET', o.path);
  } finally {
    clearTimeout(idleTimer);
    o.signal.removeEventListener('abort', onAbort);
    req.destroy();
  }
}

function parseEvent<T>(line: string, path: string): WatchEvent<T> {
  let event: WatchEvent<T>;
  try {
    event = JSON.parse(line) as WatchEvent<T>;
  } catch {
    throw new KubeApiError(0, 'InvalidResponse', 'watch event is not JSON', 'GET', path);
  }
  if (
    !event ||
    typeof event.type !== 'string' ||
    typeof event.object !== 'object' ||
    event.object === null
  ) {
    throw new KubeApiError(0, 'InvalidResponse', 'watch event without type/object', 'GET', path);
  }
  return event;
}
