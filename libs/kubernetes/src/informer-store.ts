import { describeError, type KubeLogger } from './logger';
import { objectKey, type KubeObject } from './objects';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
}

/**
 * The informer's cache and its handler fan-out. Every change to the cache goes through here, so the
 * rule "a handler sees each (object, resourceVersion) at most once" is enforced in one place.
 */
export class InformerStore<T extends KubeObject> {
  private cache = new Map<string, T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private muted = false;

  constructor(
    private readonly logger: KubeLogger,
    private readonly name: string,
  ) {}

  addHandlers(h: InformerHandlers<T>, replayCached: boolean): () => void {
    this.handlers.add(h);
    if (replayCached) for (const obj of this.cache.values()) this.call(h, 'onAdd', obj);
    return () => {
      this.handlers.delete(h);
    };
  }

  /** After stop(): the cache stays readable but no handler is called again. */
  mute(): void {
    this.muted = true;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** ADDED / MODIFIED watch event. */
  upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (old && rv(old) === rv(obj)) return; // already seen (e.g. replayed after a re-watch)
    this.cache.set(key, obj);
    if (!old) this.emit('onAdd', obj);
    else if (uid(old) !== uid(obj)) this.emitReplaced(old, obj);
    else this.emit('onUpdate', obj, old);
  }

  /** DELETED watch event; unknown objects were already reported gone by a relist. */
  remove(obj: T): void {
    const key = objectKey(obj);
    if (!this.cache.has(key)) return;
    this.cache.delete(key);
    this.emit('onDelete', obj);
  }

  /** A fresh list: diff it against the cache so every real change is reported exactly once. */
  replace(items: T[]): void {
    const old = this.cache;
    const fresh = new Map(items.map((i) => [objectKey(i), i] as const));
    this.cache = fresh;
    for (const [key, obj] of fresh) {
      const prev = old.get(key);
      if (!prev) this.emit('onAdd', obj);
      else if (uid(prev) !== uid(obj)) this.emitReplaced(prev, obj);
      else if (rv(prev) !== rv(obj)) this.emit('onUpdate', obj, prev);
    }
    for (const [key, prev] of old) {
      if (!fresh.has(key)) this.emit('onDelete', prev);
    }
  }

  /** Same name, new uid: the object was deleted and recreated while we were not looking. */
  private emitReplaced(old: T, obj: T): void {
    this.emit('onDelete', old);
    this.emit('onAdd', obj);
  }

  private emit(kind: 'onAdd' | 'onDelete', obj: T): void;
  private emit(kind: 'onUpdate', obj: T, old: T): void;
  private emit(kind: keyof InformerHandlers<T>, obj: T, old?: T): void {
    if (this.muted) return;
    for (const h of [...this.handlers]) this.call(h, kind, obj, old);
  }

  private call(h: InformerHandlers<T>, kind: keyof InformerHandlers<T>, obj: T, old?: T): void {
    const fn = h[kind] as ((o: T, p?: T) => unknown) | undefined;
    if (!fn) return;
    const report = (e: unknown): void =>
      this.logger.error(
        { informer: this.name, handler: kind, key: objectKey(obj), ...describeError(e) },
        'informer handler failed',
      );
    try {
      const result = fn.call(h, obj, old);
      if (result instanceof Promise) result.catch(report);
    } catch (e) {
      report(e);
    }
  }
}

const rv = (o: KubeObject): string | undefined => o.metadata.resourceVersion;
const uid = (o: KubeObject): string | undefined => o.metadata.uid;
