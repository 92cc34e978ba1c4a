import type { KubeConnection } from './connection';
import { isNotFound } from './errors';
import { Informer, type InformerOptions } from './informer';
import type { KubeLogger } from './logger';
import type { KubeObject } from './objects';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export function configMapsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
}

export class ConfigMapApi {
  constructor(
    private readonly conn: KubeConnection,
    private readonly opts: { logger?: KubeLogger } = {},
  ) {}

  /** undefined when the ConfigMap does not exist. */
  async get(namespace: string, name: string): Promise<ConfigMap | undefined> {
    try {
      return await this.conn.request<ConfigMap>(
        'GET',
        `${configMapsPath(namespace)}/${encodeURIComponent(name)}`,
      );
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** An informer over exactly one ConfigMap (field selector on its name); call start() on it. */
  watch(namespace: string, name: string, opts: Partial<InformerOptions> = {}): Informer<ConfigMap> {
    return new Informer<ConfigMap>(this.conn, {
      name: `configmap ${namespace}/${name}`,
      logger: this.opts.logger,
      ...opts,
      path: configMapsPath(namespace),
      fieldSelector: `metadata.name=${name}`,
    });
  }
}
