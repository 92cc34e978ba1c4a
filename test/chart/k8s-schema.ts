import { createRequire } from 'node:module';
import { parseAllDocuments } from 'yaml';

const load = createRequire(__filename);

/** Model packages by apiVersion; each exports one class per kind with a JSON-schema validate(). */
const MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'storage.k8s.io/v1': 'kubernetes-models/storage.k8s.io/v1',
  'cert-manager.io/v1': '@kubernetes-models/cert-manager/cert-manager.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export function parseManifests(text: string): KubeManifest[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeManifest | null)
    .filter((obj): obj is KubeManifest => obj !== null && typeof obj === 'object');
}

/** Throws with the object's kind/name and the schema error when it is not a valid object. */
export function validateManifest(obj: KubeManifest): void {
  const modulePath = MODULES[obj.apiVersion];
  if (!modulePath) throw new Error(`no schema for apiVersion ${obj.apiVersion} (${obj.kind})`);
  const Model = (load(modulePath) as Record<string, new (o: unknown) => { validate(): void }>)[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`, { cause: err });
  }
}

export function find(objs: KubeManifest[], kind: string, name?: string): KubeManifest {
  const found = objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? `/${name}` : ''} rendered`);
  return found;
}
