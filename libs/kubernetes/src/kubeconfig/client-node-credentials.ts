import type * as http from 'node:http';
import type * as https from 'node:https';
import type * as K8s from '@kubernetes/client-node';
import type { PreparedAuth } from '../http-transport';
import type { ApiCredentials } from './credentials';
import type { ClusterEntry } from './kubeconfig-file';
import { StaticCredentials } from './static-credentials';

type ClientNode = typeof K8s;
type Build = (k8s: ClientNode) => K8s.KubeConfig;

/**
 * Credentials that need @kubernetes/client-node's plugins: exec and auth-provider users, and
 * proxy-url clusters. The library (~0.7 s and ~60 MB to load) is imported only here, on the
 * first request, so the common token / certificate / in-cluster setups never pay for it.
 */
export class ClientNodeCredentials implements ApiCredentials {
  #kc: Promise<K8s.KubeConfig> | undefined;

  constructor(
    readonly server: string,
    readonly namespace: string | undefined,
    private readonly cluster: ClusterEntry,
    private readonly build: Build,
  ) {}

  /** The same files and context client-node would load for `kubectl --kubeconfig`. */
  static fromFiles(
    server: string,
    namespace: string | undefined,
    cluster: ClusterEntry,
    files: string[],
    contextName: string,
  ): ClientNodeCredentials {
    return new ClientNodeCredentials(server, namespace, cluster, (k8s) => {
      let merged: K8s.KubeConfig | undefined;
      for (const file of files) {
        const kc = new k8s.KubeConfig();
        kc.loadFromFile(file);
        if (merged) merged.mergeConfig(kc, true);
        else merged = kc;
      }
      (merged as K8s.KubeConfig).setCurrentContext(contextName);
      return merged as K8s.KubeConfig;
    });
  }

  async prepare(): Promise<PreparedAuth> {
    const kc = await this.kubeConfig();
    const opts: https.RequestOptions = { headers: {} };
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (e) {
      // For plain-http servers client-node refuses to build an agent after it has already applied
      // the auth headers; we do not use its agent for http, so that refusal is irrelevant.
      if (!this.server.startsWith('http:') || !opts.headers) throw e;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return {
      headers,
      tls: {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        pfx: opts.pfx,
        passphrase: opts.passphrase,
        rejectUnauthorized: opts.rejectUnauthorized,
        servername: opts.servername,
      },
      proxyAgent: this.cluster['proxy-url'] ? (opts.agent as http.Agent | undefined) : undefined,
    };
  }

  withBearerToken(token: string): ApiCredentials {
    const user = { token };
    if (!this.cluster['proxy-url']) {
      return StaticCredentials.fromEntries(
        this.server,
        this.namespace,
        this.cluster,
        user,
        'bearer token',
      );
    }
    // Only client-node builds proxy agents, so a proxied cluster keeps going through it.
    const cluster = this.cluster;
    return new ClientNodeCredentials(this.server, this.namespace, cluster, (k8s) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [
          {
            name: 'bearer-cluster',
            server: this.server,
            caData: cluster['certificate-authority-data'],
            caFile: cluster['certificate-authority'],
            skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
            tlsServerName: cluster['tls-server-name'],
            proxyUrl: cluster['proxy-url'],
          },
        ],
        users: [{ name: 'bearer', ...user }],
        contexts: [
          { name: 'bearer', cluster: 'bearer-cluster', user: 'bearer', namespace: this.namespace },
        ],
        currentContext: 'bearer',
      });
      return kc;
    });
  }

  private kubeConfig(): Promise<K8s.KubeConfig> {
    if (!this.#kc) {
      const loading = import('@kubernetes/client-node').then((k8s) => this.build(k8s));
      // A failed load (bad exec config, unreadable file) is retried on the next request.
      loading.catch(() => {
        if (this.#kc === loading) this.#kc = undefined;
      });
      this.#kc = loading;
    }
    return this.#kc;
  }
}
