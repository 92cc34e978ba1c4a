import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { ClientNodeCredentials } from './kubeconfig/client-node-credentials';
import type { ApiCredentials } from './kubeconfig/credentials';
import { KubeConfigError } from './kubeconfig/kubeconfig-error';
import {
  readKubeConfigFiles,
  selectContext,
  type SelectedContext,
} from './kubeconfig/kubeconfig-file';
import { StaticCredentials } from './kubeconfig/static-credentials';

export { KubeConfigError } from './kubeconfig/kubeconfig-error';
export type { ApiCredentials } from './kubeconfig/credentials';

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
  credentials: ApiCredentials;
  source: KubeConfigSource;
} {
  const env = opts.env ?? process.env;
  if (opts.kubeconfig) {
    return {
      credentials: fromFiles([opts.kubeconfig], '--kubeconfig', opts.context),
      source: 'flag',
    };
  }
  if (env.KUBECONFIG?.trim()) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f.trim() !== '');
    return { credentials: fromFiles(files, 'KUBECONFIG', opts.context), source: 'KUBECONFIG' };
  }
  if (opts.context) {
    throw new KubeConfigError(`kubeconfig (in-cluster): context "${opts.context}" not found`);
  }
  return { credentials: inCluster(env, opts.inClusterPathPrefix ?? ''), source: 'in-cluster' };
}

function fromFiles(files: string[], origin: string, context: string | undefined): ApiCredentials {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) {
    throw new KubeConfigError(`${origin}: kubeconfig file not found: ${files.join(delimiter)}`);
  }
  const selected = selectContext(readKubeConfigFiles(existing, origin), origin, context);
  const server = serverUrl(selected, origin);
  const { cluster, user, namespace, contextName } = selected;
  if (user.exec || user['auth-provider'] || cluster['proxy-url']) {
    return ClientNodeCredentials.fromFiles(server, namespace, cluster, existing, contextName);
  }
  return StaticCredentials.fromEntries(server, namespace, cluster, user, origin);
}

function serverUrl({ cluster }: SelectedContext, origin: string): string {
  if (!cluster.server) {
    throw new KubeConfigError(
      `kubeconfig (${origin}): current context has no cluster with a server URL`,
    );
  }
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new KubeConfigError(
      `kubeconfig (${origin}): server "${cluster.server}" is not an http(s) URL`,
    );
  }
  return cluster.server.replace(/\/+$/, '');
}

function inCluster(env: NodeJS.ProcessEnv, prefix: string): ApiCredentials {
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
  // The projected token rotates: StaticCredentials re-reads the file at most once a minute.
  return StaticCredentials.fromEntries(
    `https://${serverHost}:${port}`,
    readNamespace(`${prefix}${SA_DIR}/namespace`),
    { 'certificate-authority': `${prefix}${SA_DIR}/ca.crt` },
    { tokenFile },
    'in-cluster',
  );
}

function readNamespace(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
