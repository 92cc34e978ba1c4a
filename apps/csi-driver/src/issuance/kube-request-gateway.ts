import {
  CertificateRequestApi, isNotFound,
  type EventRecorder, type KubeConnection,
} from '@spiffe-csi/kubernetes';
import type { CertificateRequest, CertificateRequestGateway, IssuanceEvents, PodRef, RequestWatchEvent } from './ports';
import { RequestWatchHub } from './request-watch-hub';

/** CertificateRequestGateway over the API server: creates as the Pod; reads, watches (one shared informer) and deletes as the driver. */
export class KubeCertificateRequestGateway implements CertificateRequestGateway {
  private readonly own: CertificateRequestApi;
  private readonly requests: RequestWatchHub;

  constructor(private readonly connection: KubeConnection, nodeId: string) {
    this.own = new CertificateRequestApi(connection);
    this.requests = new RequestWatchHub(connection, nodeId, connection.logger);
  }

  async createAs(token: string, request: CertificateRequest): Promise<CertificateRequest> {
    const asPod = this.connection.asBearerToken(token);
    try {
      return await new CertificateRequestApi(asPod).create(request.metadata.namespace!, request);
    } finally {
      asPod.close();
    }
  }

  async get(namespace: string, name: string): Promise<CertificateRequest | undefined> {
    try {
      return await this.own.get(namespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Served from the node's shared request informer (RequestWatchHub). */
  watch(namespace: string, name: string, onEvent: (event: RequestWatchEvent) => void): () => void {
    return this.requests.watch(namespace, name, onEvent);
  }

  async onModuleDestroy(): Promise<void> {
    await this.requests.stop();
  }

  async list(namespace: string, labelSelector: string): Promise<CertificateRequest[]> {
    return this.own.list({ namespace, labelSelector });
  }

  delete(namespace: string, name: string): Promise<void> {
    return this.own.delete(namespace, name);
  }
}

/** Warning Events on the Pod, through the driver's EventRecorder (which never throws). */
export class PodEventRecorder implements IssuanceEvents {
  constructor(private readonly recorder: EventRecorder) {}

  warning(pod: PodRef, reason: string, message: string): void {
    void this.recorder.record({ apiVersion: 'v1', kind: 'Pod', ...pod }, 'Warning', reason, message);
  }
}
