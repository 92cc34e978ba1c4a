import {
  CertificateRequestApi, certificateRequestsPath, isNotFound,
  type EventRecorder, type KubeConnection, type NewCertificateRequest,
} from '@spiffe-csi/kubernetes';
import type { CertificateRequest, CertificateRequestGateway, IssuanceEvents, PodRef, RequestWatchEvent } from './ports';

type LibRequest = Parameters<CertificateRequestApi['create']>[1];

/** CertificateRequestGateway over the API server: creates as the Pod, reads/watches/deletes as the driver. */
export class KubeCertificateRequestGateway implements CertificateRequestGateway {
  private readonly own: CertificateRequestApi;

  constructor(private readonly connection: KubeConnection) {
    this.own = new CertificateRequestApi(connection);
  }

  async createAs(token: string, request: CertificateRequest): Promise<CertificateRequest> {
    const asPod = this.connection.asBearerToken(token);
    try {
      const created = await new CertificateRequestApi(asPod).create(request.metadata.namespace, request as NewCertificateRequest as LibRequest);
      return created as unknown as CertificateRequest;
    } finally {
      asPod.close();
    }
  }

  async get(namespace: string, name: string): Promise<CertificateRequest | undefined> {
    try {
      return (await this.own.get(namespace, name)) as unknown as CertificateRequest;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  watch(namespace: string, name: string, resourceVersion: string | undefined,
    onEvent: (event: RequestWatchEvent) => void): () => void {
    const abort = new AbortController();
    const query = { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: true };
    void (async () => {
      const stream = this.connection.watch<CertificateRequest>(certificateRequestsPath(namespace), query, abort.signal);
      for await (const event of stream) {
        if (event.type === 'ADDED' || event.type === 'MODIFIED') onEvent({ type: 'changed', request: event.object as CertificateRequest });
        else if (event.type === 'DELETED') onEvent({ type: 'deleted' });
        else if (event.type === 'ERROR') return onEvent({ type: 'closed', error: new Error(JSON.stringify(event.object)) });
      }
      if (!abort.signal.aborted) onEvent({ type: 'closed' });
    })().catch((error: Error) => {
      if (!abort.signal.aborted) onEvent({ type: 'closed', error });
    });
    return () => abort.abort();
  }

  async list(namespace: string, labelSelector: string): Promise<CertificateRequest[]> {
    return (await this.own.list({ namespace, labelSelector })) as unknown as CertificateRequest[];
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
