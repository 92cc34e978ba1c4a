import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import * as k8s from '@kubernetes/client-node';

export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

export type KubeConfigSource = 'flag' | 'KUBECONFIG' | 'in-cluster';

export interface LoadKubeConfigOptions {
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  inClusterPathPrefix?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** client-go's order: --kubeconfig, then $KUBECONFIG (a path list), then the in-cluster service account. */
export function loadKubeConfig(opts: LoadKubeConfigOptions): {
  kc: k8s.KubeConfig;
  source: KubeConfigSource;
} {
  const env = opts.env ?? process.env;
  let loaded: { kc: k8s.KubeConfig; source: KubeConfigSource };
  if (opts.kubeconfig) {
    loaded = { kc: fromFiles([opts.kubeconfig], '--kubeconfig'), source: 'flag' };
  } else if (env.KUBECONFIG?.trim()) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f.trim() !== '');
    loaded = { kc: fromFiles(files, 'KUBECONFIG'), source: 'KUBECONFIG' };
  } else {
    loaded = { kc: inCluster(env, opts.inClusterPathPrefix ?? ''), source: 'in-cluster' };
  }
  if (opts.context) {
    if (!loaded.kc.getContextObject(opts.context)) {
      throw new KubeConfigError(
        `kubeconfig (${loaded.source}): context "${opts.context}" not found`,
      );
    }
    loaded.kc.setCurrentContext(opts.context);
  }
  const cluster = loaded.kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubeConfigError(
      `kubeconfig (${loaded.source}): current context has no cluster with a server URL`,
    );
  }
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new KubeConfigError(
      `kubeconfig (${loaded.source}): server "${cluster.server}" is not an http(s) URL`,
    );
  }
  return loaded;
}

function fromFiles(files: string[], origin: string): k8s.KubeConfig {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) {
    throw new KubeConfigError(`${origin}: kubeconfig file not found: ${files.join(delimiter)}`);
  }
  let merged: k8s.KubeConfig | undefined;
  for (const file of existing) {
    const kc = new k8s.KubeConfig();
    try {
      kc.loadFromFile(file);
    } catch (e) {
      throw new KubeConfigError(
        `${origin}: cannot load kubeconfig ${file}: ${e instanceof Error ? e.message : e}`,
      );
    }
    if (merged) merged.mergeConfig(kc, true);
    else merged = kc;
  }
  return merged as k8s.KubeConfig;
}

function inCluster(env: NodeJS.ProcessEnv, prefix: string): k8s.KubeConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = `${prefix}${SA_DIR}/token`;
  if (!host || !port || !existsSync(tokenFile)) {
    throw new KubeConfigError(
      'no Kubernetes configuration: --kubeconfig not given, KUBECONFIG not set, and not running in a cluster ' +
        `(${!host || !port ? 'KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT unset' : `${tokenFile} missing`})`,
    );
  }
  const serverHost = host.includes(':') ? `[${host}]` : host;
  const namespaceFile = `${prefix}${SA_DIR}/namespace`;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'in-cluster',
        server: `https://${serverHost}:${port}`,
        caFile: `${prefix}${SA_DIR}/ca.crt`,
        skipTLSVerify: false,
      },
    ],
    // The tokenFile auth provider re-reads the projected token (it rotates) at most once a minute.
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    contexts: [
      {
        name: 'in-cluster',
        cluster: 'in-cluster',
        user: 'in-cluster',
        namespace: readNamespace(namespaceFile),
      },
    ],
    currentContext: 'in-cluster',
  });
  return kc;
}

function readNamespace(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
