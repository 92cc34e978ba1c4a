import { hostname } from 'node:os';
import type { KubeConnection } from './connection';
import { describeError, silentLogger, type KubeLogger } from './logger';
import { formatTime, type KubeObject } from './objects';

export interface ObjectReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  component: string;
  host?: string;
  logger?: KubeLogger;
}

/** Repeats inside this window bump count on the existing Event, like client-go's correlator. */
const AGGREGATION_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 512;
const MAX_MESSAGE = 1024;

interface RecentEvent {
  name: string;
  namespace: string;
  count: number;
  seenAt: number;
}

export function referenceTo(obj: KubeObject | ObjectReference): ObjectReference {
  if (!('metadata' in obj)) return { ...obj };
  const { name, namespace, uid, resourceVersion } = obj.metadata;
  if (!obj.kind || !name) throw new Error('event: involved object needs kind and metadata.name');
  return { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid, resourceVersion };
}

/** Records core/v1 Events. Recording is best effort: it never throws or rejects. */
export class EventRecorder {
  private readonly recent = new Map<string, RecentEvent>();
  private readonly logger: KubeLogger;
  private readonly host: string;

  constructor(
    private readonly conn: KubeConnection,
    private readonly opts: EventRecorderOptions,
  ) {
    this.logger = opts.logger ?? conn.logger ?? silentLogger;
    this.host = opts.host ?? hostname();
  }

  async record(
    obj: KubeObject | ObjectReference,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    try {
      const ref = referenceTo(obj);
      const namespace = ref.namespace || 'default';
      const text =
        message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
      const key = [ref.kind, namespace, ref.name, ref.uid ?? '', type, reason, text].join('\0');
      const now = new Date();
      if (await this.bumpExisting(key, now)) return;
      const name = `${ref.name}.${uniqueSuffix(now)}`;
      await this.conn.request('POST', eventsPath(namespace), {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: ref,
          reason,
          message: text,
          type,
          source: { component: this.opts.component, host: this.host },
          reportingComponent: this.opts.component,
          reportingInstance: this.host,
          count: 1,
          firstTimestamp: formatTime(now),
          lastTimestamp: formatTime(now),
        },
      });
      this.remember(key, { name, namespace, count: 1, seenAt: now.getTime() });
    } catch (e) {
      this.logger.warn({ reason, ...describeError(e) }, 'failed to record event');
    }
  }

  /** True when an identical recent Event was updated in place. */
  private async bumpExisting(key: string, now: Date): Promise<boolean> {
    const prior = this.recent.get(key);
    if (!prior || now.getTime() - prior.seenAt > AGGREGATION_WINDOW_MS) return false;
    try {
      await this.conn.request(
        'PATCH',
        `${eventsPath(prior.namespace)}/${encodeURIComponent(prior.name)}`,
        {
          body: { count: prior.count + 1, lastTimestamp: formatTime(now) },
          contentType: 'application/merge-patch+json',
        },
      );
      this.remember(key, { ...prior, count: prior.count + 1, seenAt: now.getTime() });
      return true;
    } catch (e) {
      // Gone (TTL-expired) or not patchable: fall back to a new Event.
      this.logger.debug(
        { event: prior.name, ...describeError(e) },
        'could not update existing event',
      );
      this.recent.delete(key);
      return false;
    }
  }

  private remember(key: string, entry: RecentEvent): void {
    this.recent.delete(key);
    this.recent.set(key, entry);
    if (this.recent.size > MAX_REMEMBERED)
      this.recent.delete(this.recent.keys().next().value as string);
  }
}

const eventsPath = (namespace: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;

/** client-go names events "<object>.<unix nanos in hex>"; hrtime fills the sub-millisecond digits. */
function uniqueSuffix(now: Date): string {
  return (BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString(16);
}
