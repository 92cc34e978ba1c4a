import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { KubeConfigError } from './kubeconfig-error';

/** The kubeconfig fields this product reads; anything else in the file is ignored, as client-go does. */
export interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  as?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
}

export interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** One named entry plus the directory of the file that defined it (relative paths resolve there). */
interface Named<T> {
  value: T;
  baseDir: string;
}

/** Several kubeconfig files merged the way client-go merges $KUBECONFIG: the first definition wins. */
export interface MergedKubeConfig {
  files: string[];
  currentContext?: string;
  clusters: Map<string, Named<ClusterEntry>>;
  users: Map<string, Named<UserEntry>>;
  contexts: Map<string, Named<ContextEntry>>;
}

/** The context in use, with its cluster and user, file paths made absolute. */
export interface SelectedContext {
  contextName: string;
  cluster: ClusterEntry;
  user: UserEntry;
  namespace?: string;
}

const PATH_FIELDS = {
  cluster: ['certificate-authority'],
  user: ['client-certificate', 'client-key', 'tokenFile'],
} as const;

export function readKubeConfigFiles(files: string[], origin: string): MergedKubeConfig {
  const merged: MergedKubeConfig = {
    files,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new KubeConfigError(
        `${origin}: cannot load kubeconfig ${file}: ${e instanceof Error ? e.message : e}`,
      );
    }
    mergeDocument(merged, doc ?? {}, file, origin);
  }
  return merged;
}

function mergeDocument(into: MergedKubeConfig, doc: unknown, file: string, origin: string): void {
  if (!isRecord(doc)) throw new KubeConfigError(`${origin}: ${file} is not a kubeconfig mapping`);
  const baseDir = dirname(resolve(file));
  const current = doc['current-context'];
  if (into.currentContext === undefined && typeof current === 'string' && current !== '') {
    into.currentContext = current;
  }
  mergeList(into.clusters, doc.clusters, 'cluster', baseDir, `${origin}: ${file}`);
  mergeList(into.users, doc.users, 'user', baseDir, `${origin}: ${file}`);
  mergeList(into.contexts, doc.contexts, 'context', baseDir, `${origin}: ${file}`);
}

function mergeList<T>(
  into: Map<string, Named<T>>,
  list: unknown,
  field: 'cluster' | 'user' | 'context',
  baseDir: string,
  where: string,
): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw new KubeConfigError(`${where}: ${field}s must be a list`);
  for (const item of list) {
    if (!isRecord(item) || typeof item.name !== 'string') {
      throw new KubeConfigError(`${where}: every entry of ${field}s needs a name`);
    }
    const value = item[field] ?? {};
    if (!isRecord(value))
      throw new KubeConfigError(`${where}: ${field} "${item.name}" is not a mapping`);
    if (!into.has(item.name)) into.set(item.name, { value: value as T, baseDir });
  }
}

/** The named (or current) context, its cluster and user; errors say which file set was read. */
export function selectContext(
  config: MergedKubeConfig,
  origin: string,
  contextName = config.currentContext,
): SelectedContext {
  if (!contextName) throw new KubeConfigError(`kubeconfig (${origin}): no current-context set`);
  const context = config.contexts.get(contextName);
  if (!context)
    throw new KubeConfigError(`kubeconfig (${origin}): context "${contextName}" not found`);
  const { cluster: clusterName, user: userName, namespace } = context.value;
  const cluster = clusterName ? config.clusters.get(clusterName) : undefined;
  if (!cluster) {
    throw new KubeConfigError(
      `kubeconfig (${origin}): context "${contextName}" names cluster "${clusterName ?? ''}", which is not defined`,
    );
  }
  const user = userName ? config.users.get(userName) : undefined;
  if (userName && !user) {
    throw new KubeConfigError(
      `kubeconfig (${origin}): context "${contextName}" names user "${userName}", which is not defined`,
    );
  }
  return {
    contextName,
    cluster: absolutePaths(cluster, PATH_FIELDS.cluster),
    user: user ? absolutePaths(user, PATH_FIELDS.user) : {},
    namespace: namespace || undefined,
  };
}

function absolutePaths<T extends object>(entry: Named<T>, fields: readonly string[]): T {
  const copy = { ...entry.value } as Record<string, unknown>;
  for (const field of fields) {
    const value = copy[field];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) {
      copy[field] = resolve(entry.baseDir, value);
    }
  }
  return copy as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
