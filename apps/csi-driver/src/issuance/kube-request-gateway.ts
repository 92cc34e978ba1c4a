import { Inject, Injectable } from '@nestjs/common';
import { OPTIONS, type DriverOptions } from '@spiffe-csi/config';
import {
  CertificateRequestApi, isNotFound, KUBE_CONNECTION, KubeClientFactory,
  type EventRecorder, type KubeConnection,
} from '@spiffe-csi/kubernetes';
import type { CertificateRequest, CertificateRequestGateway, IssuanceEvents, PodRef, RequestWatchEvent } from './ports';
import { RequestWatchHub } from './request-watch-hub';

/** CertificateRequestGateway over the API server: creates as the Pod; reads, watches (one shared informer) and deletes as the driver. */
@Injectable()
export class KubeCertificateRequestGateway implements CertificateRequestGateway {
  readonly requester = "the Pod's ServiceAccount";
  private readonly own: CertificateRequestApi;
  private readonly requests: RequestWatchHub;

  constructor(
    @Inject(KUBE_CONNECTION) private readonly connection: KubeConnection,
    @Inject(OPTIONS) options: Pick<DriverOptions, 'nodeId'>,
  ) {
    this.own = new CertificateRequestApi(connection);
    this.requests = new RequestWatchHub(connection, options.nodeId, connection.logger);
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
@Injectable()
export class PodEventRecorder implements IssuanceEvents {
  private readonly recorder: EventRecorder;

  constructor(kube: KubeClientFactory, @Inject(OPTIONS) options: Pick<DriverOptions, 'csiDriverName'>) {
    this.recorder = kube.eventRecorder(options.csiDriverName);
  }

  warning(pod: PodRef, reason: string, message: string): void {
    void this.recorder.record({ apiVersion: 'v1', kind: 'Pod', ...pod }, 'Warning', reason, message);
  }
}
