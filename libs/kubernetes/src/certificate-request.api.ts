import { RetryBackoff, sleep } from './backoff';
import {
  CERTIFICATE_REQUEST_API_VERSION,
  type CertificateRequest,
  type NewCertificateRequest,
} from './certificate-request.types';
import type { KubeConnection } from './connection';
import { isConflict, isNotFound } from './errors';
import { Informer } from './informer';
import type { KubeLogger } from './logger';
import type { KubeList } from './objects';

const BASE = '/apis/cert-manager.io/v1';

export function certificateRequestsPath(namespace?: string): string {
  return namespace
    ? `${BASE}/namespaces/${encodeURIComponent(namespace)}/certificaterequests`
    : `${BASE}/certificaterequests`;
}

const itemPath = (namespace: string, name: string): string =>
  `${certificateRequestsPath(namespace)}/${encodeURIComponent(name)}`;

export interface CertificateRequestApiOptions {
  maxConflictRetries?: number;
  logger?: KubeLogger;
}

/**
 * Computes the object to write from the current one, or undefined to write nothing. It must not
 * modify its argument, which may be an informer's cached object: return a changed copy
 * (setCondition makes one).
 */
export type StatusMutation = (cr: Readonly<CertificateRequest>) => CertificateRequest | undefined;

/** Typed access to cert-manager.io/v1 CertificateRequests. */
export class CertificateRequestApi {
  private readonly maxConflictRetries: number;

  constructor(
    private readonly conn: KubeConnection,
    private readonly opts: CertificateRequestApiOptions = {},
  ) {
    this.maxConflictRetries = opts.maxConflictRetries ?? 5;
  }

  create(namespace: string, cr: NewCertificateRequest): Promise<CertificateRequest> {
    const body = {
      ...cr,
      apiVersion: CERTIFICATE_REQUEST_API_VERSION,
      kind: 'CertificateRequest',
      metadata: { ...cr.metadata, namespace },
    };
    return this.conn.request<CertificateRequest>('POST', certificateRequestsPath(namespace), {
      body,
    });
  }

  get(namespace: string, name: string): Promise<CertificateRequest> {
    return this.conn.request<CertificateRequest>('GET', itemPath(namespace, name));
  }

  async list(
    opts: { namespace?: string; labelSelector?: string } = {},
  ): Promise<CertificateRequest[]> {
    const items: CertificateRequest[] = [];
    let cont: string | undefined;
    do {
      const page = await this.conn.request<KubeList<CertificateRequest>>(
        'GET',
        certificateRequestsPath(opts.namespace),
        {
          query: { labelSelector: opts.labelSelector || undefined, limit: 500, continue: cont },
        },
      );
      items.push(...page.items.map(withTypeMeta));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.conn.request('DELETE', itemPath(namespace, name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /**
   * Writes status through the /status subresource. The PUT carries the resourceVersion it was
   * computed from; on 409 the object is re-read and `mutate` re-applied to the fresh copy.
   * Resolves with the stored object, or undefined when `mutate` declined to write.
   */
  async updateStatus(
    namespace: string,
    name: string,
    mutate: StatusMutation,
    opts: { current?: CertificateRequest } = {},
  ): Promise<CertificateRequest | undefined> {
    const backoff = new RetryBackoff({ initialMs: 20, maxMs: 1_000 });
    let current = opts.current;
    for (let attempt = 0; ; attempt++) {
      current ??= await this.get(namespace, name);
      const desired = mutate(current);
      if (desired === undefined) return undefined;
      const body = {
        ...desired,
        metadata: { ...desired.metadata, resourceVersion: current.metadata.resourceVersion },
      };
      try {
        return await this.conn.request<CertificateRequest>(
          'PUT',
          `${itemPath(namespace, name)}/status`,
          { body },
        );
      } catch (e) {
        if (!isConflict(e) || attempt >= this.maxConflictRetries) throw e;
        this.opts.logger?.debug(
          { namespace, name, attempt },
          'status write conflicted; re-reading',
        );
        current = undefined;
        await sleep(backoff.next());
      }
    }
  }

  /** An informer over CertificateRequests (all namespaces unless `namespace` is given); not started. */
  informer(
    opts: { namespace?: string; labelSelector?: string; logger?: KubeLogger } = {},
  ): Informer<CertificateRequest> {
    return new Informer<CertificateRequest>(this.conn, {
      path: certificateRequestsPath(opts.namespace),
      labelSelector: opts.labelSelector,
      logger: opts.logger ?? this.opts.logger,
      name: 'certificaterequests',
    });
  }
}

/** List items come without apiVersion/kind; fill them in so every returned object is self-describing. */
function withTypeMeta(cr: CertificateRequest): CertificateRequest {
  return { ...cr, apiVersion: CERTIFICATE_REQUEST_API_VERSION, kind: 'CertificateRequest' };
}
