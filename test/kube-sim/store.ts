import { typeKey, type KubeObject, type ResourceType } from './resources';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change; kept (bounded) so watches can resume from a resourceVersion. */
export interface StoredEvent {
  rv: number;
  type: EventType;
  typeKey: string;
  object: KubeObject;
  /** The object before a MODIFIED, so selector watches can turn it into ADDED/DELETED. */
  previous?: KubeObject;
}

export type Listener = (event: StoredEvent) => void;

/**
 * Objects by type → namespace → name, one global resourceVersion counter (like etcd's revision),
 * and a bounded event history. Stored objects are never mutated: every write stores a new object,
 * so history entries and in-flight serialisations stay valid.
 */
export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, Map<string, Map<string, KubeObject>>>();
  private history: StoredEvent[] = [];
  /** Every event with rv > compactedRevision is still in `history`. */
  private compactedRevision = 0;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly historyLimit = 10_000) {}

  currentRevision(): number {
    return this.revision;
  }

  oldestResumableRevision(): number {
    return this.compactedRevision;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(typeKey(type))?.get(namespace ?? '')?.get(name);
  }

  /** Objects of a type, in one namespace or all; sorted by namespace/name like an etcd range read. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    const byNamespace = this.objects.get(typeKey(type));
    if (!byNamespace) return [];
    const buckets = namespace === undefined ? [...byNamespace.keys()].sort() : [namespace];
    return buckets.flatMap((ns) => {
      const names = byNamespace.get(ns);
      return names ? [...names.keys()].sort().map((n) => names.get(n)!) : [];
    });
  }

  namespacesInUse(type: ResourceType): string[] {
    return [...(this.objects.get(typeKey(type))?.keys() ?? [])];
  }

  /** Stamp a new resourceVersion, store (or remove) the object, record and publish the event. */
  commit(type: ResourceType, kind: EventType, object: KubeObject, previous?: KubeObject): KubeObject {
    const rv = ++this.revision;
    const stored: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    const key = typeKey(type);
    const ns = stored.metadata.namespace ?? '';
    let byNamespace = this.objects.get(key);
    if (!byNamespace) this.objects.set(key, (byNamespace = new Map()));
    let names = byNamespace.get(ns);
    if (!names) byNamespace.set(ns, (names = new Map()));
    if (kind === 'DELETED') {
      names.delete(stored.metadata.name!);
      if (names.size === 0) byNamespace.delete(ns);
    } else {
      names.set(stored.metadata.name!, stored);
    }
    const event: StoredEvent = { rv, type: kind, typeKey: key, object: stored, previous };
    this.record(event);
    for (const listener of this.listeners.get(key) ?? []) listener(event);
    return stored;
  }

  private record(event: StoredEvent): void {
    this.history.push(event);
    // Trim in batches so the cost stays amortised O(1) per event.
    if (this.history.length > this.historyLimit * 1.25) {
      const drop = this.history.length - this.historyLimit;
      this.compactedRevision = this.history[drop - 1].rv;
      this.history = this.history.slice(drop);
    }
  }

  /** Events of one type after `rv`, or undefined when history no longer reaches back that far. */
  eventsAfter(type: ResourceType, rv: number): StoredEvent[] | undefined {
    if (rv < this.compactedRevision) return undefined;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const key = typeKey(type);
    return this.history.slice(lo).filter((e) => e.typeKey === key);
  }

  /** Forget all history, as an etcd compaction at the current revision would. */
  compact(): void {
    this.history = [];
    this.compactedRevision = this.revision;
  }

  subscribe(type: ResourceType, listener: Listener): () => void {
    const key = typeKey(type);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
}
