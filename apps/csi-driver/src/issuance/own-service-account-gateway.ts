import { CertificateRequestApi, type KubeConnection } from '@spiffe-csi/kubernetes';
import type { CertificateRequest, CertificateRequestGateway, RequestWatchEvent } from './ports';
import { checkTokenBinding, type TokenReviewStatus } from './token-binding';

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';

/**
 * The request credentials of --use-own-service-account: `createAs` still takes the Pod's token,
 * has the API server review it (TokenReview, with the driver's own RBAC) and checks it is bound
 * to the identity and Pod the request names, then creates the request as the DRIVER, so
 * spec.username is the driver's ServiceAccount and workloads need no RBAC on requests. Reads,
 * watches and deletes go to `inner` (already the driver's own credentials).
 */
export class OwnServiceAccountGateway implements CertificateRequestGateway {
  readonly requester = "the driver's ServiceAccount, after a TokenReview of the Pod's token";
  private readonly own: CertificateRequestApi;

  constructor(
    private readonly inner: CertificateRequestGateway & { onModuleDestroy?: () => Promise<void> },
    private readonly connection: KubeConnection,
  ) {
    this.own = new CertificateRequestApi(connection);
  }

  async createAs(token: string, request: CertificateRequest): Promise<CertificateRequest> {
    const review = await this.connection.request<{ status?: TokenReviewStatus }>('POST', TOKEN_REVIEWS, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    checkTokenBinding(review?.status ?? {}, request);
    return this.own.create(request.metadata.namespace!, request);
  }

  get(namespace: string, name: string): Promise<CertificateRequest | undefined> {
    return this.inner.get(namespace, name);
  }

  watch(namespace: string, name: string, onEvent: (event: RequestWatchEvent) => void): () => void {
    return this.inner.watch(namespace, name, onEvent);
  }

  list(namespace: string, labelSelector: string): Promise<CertificateRequest[]> {
    return this.inner.list(namespace, labelSelector);
  }

  delete(namespace: string, name: string): Promise<void> {
    return this.inner.delete(namespace, name);
  }

  async onModuleDestroy(): Promise<void> {
    await this.inner.onModuleDestroy?.();
  }
}
