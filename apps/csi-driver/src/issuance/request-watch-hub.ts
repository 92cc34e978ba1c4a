import {
  CertificateRequestApi,
  objectKey,
  type Informer,
  type KubeConnection,
  type KubeLogger,
} from '@spiffe-csi/kubernetes';
import { nodeSelector } from './labels';
import type { CertificateRequest, RequestWatchEvent } from './ports';

type Listener = (event: RequestWatchEvent) => void;

/**
 * One list+watch of every CertificateRequest this node's driver created (by the node label), shared
 * by all waiting publishes and renewals, as csi-lib does with its lister. A watch per request cost a
 * connection, a server-side watcher and a teardown for every mount; a burst of 100 publishes held
 * 100 watches the API server matched every event against. The informer resumes and relists on its
 * own (410 Gone, dropped streams), so a waiter sees every change without re-watching.
 */
export class RequestWatchHub {
  private readonly informer: Informer<CertificateRequest>;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(connection: KubeConnection, nodeId: string, logger?: KubeLogger) {
    this.informer = new CertificateRequestApi(connection).informer({
      labelSelector: nodeSelector(nodeId),
      logger,
    });
    this.informer.addHandlers({
      onAdd: (request) => this.emit(request, { type: 'changed', request }),
      onUpdate: (request) => this.emit(request, { type: 'changed', request }),
      onDelete: (request) => this.emit(request, { type: 'deleted' }),
    });
  }

  /**
   * Calls onEvent for every change of namespace/name until the returned function is called. The
   * cached state, if any, is delivered first (asynchronously): a change that reached the cache
   * before the caller subscribed is not lost.
   */
  watch(namespace: string, name: string, onEvent: Listener): () => void {
    this.informer.start();
    const key = `${namespace}/${name}`;
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(onEvent);
    queueMicrotask(() => {
      const cached = this.informer.getByKey(key);
      if (cached && set.has(onEvent)) onEvent({ type: 'changed', request: cached });
    });
    return () => {
      set.delete(onEvent);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  async stop(): Promise<void> {
    await this.informer.stop();
  }

  private emit(request: CertificateRequest, event: RequestWatchEvent): void {
    for (const listener of [...(this.listeners.get(objectKey(request)) ?? [])]) listener(event);
  }
}
