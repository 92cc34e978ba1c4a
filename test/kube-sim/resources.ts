/** The API resources the simulator serves, described the way discovery reports them. */
export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  hasStatus: boolean;
  /** Custom resources need metadata.resourceVersion on PUT; most built-ins allow unconditional updates. */
  custom: boolean;
  shortNames?: string[];
  /** Field selectors beyond metadata.name / metadata.namespace, with how to read them. */
  extraFields?: Record<string, (obj: KubeObject) => string | undefined>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  [key: string]: unknown;
}

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const path = (obj: KubeObject, ...keys: string[]): unknown =>
  keys.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);

const involvedObjectFields = (prefix: string): Record<string, (o: KubeObject) => string | undefined> =>
  Object.fromEntries(
    ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [
      `${prefix}.${f}`,
      (o: KubeObject) => str(path(o, prefix, f)),
    ]),
  );

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    group: 'cert-manager.io', version: 'v1', plural: 'certificaterequests', singular: 'certificaterequest',
    kind: 'CertificateRequest', namespaced: true, hasStatus: true, custom: true, shortNames: ['cr', 'crs'],
  },
  {
    group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, hasStatus: true,
    custom: false, shortNames: ['po'],
    extraFields: {
      'spec.nodeName': (o) => str(path(o, 'spec', 'nodeName')) ?? '',
      'spec.serviceAccountName': (o) => str(path(o, 'spec', 'serviceAccountName')) ?? '',
      'status.phase': (o) => str(path(o, 'status', 'phase')) ?? '',
    },
  },
  {
    group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount',
    namespaced: true, hasStatus: false, custom: false, shortNames: ['sa'],
  },
  {
    group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true,
    hasStatus: false, custom: false, shortNames: ['cm'],
  },
  {
    group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, hasStatus: false,
    custom: false, shortNames: ['ev'],
    extraFields: {
      ...involvedObjectFields('involvedObject'),
      reason: (o) => str(o.reason) ?? '',
      type: (o) => str(o.type) ?? '',
      source: (o) => str(path(o, 'source', 'component')) ?? '',
    },
  },
  {
    group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
    hasStatus: true, custom: false, shortNames: ['ns'],
    extraFields: { 'status.phase': (o) => str(path(o, 'status', 'phase')) ?? '' },
  },
  {
    group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true,
    hasStatus: false, custom: false,
  },
  {
    group: 'events.k8s.io', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true,
    hasStatus: false, custom: false, shortNames: ['ev'],
    extraFields: { ...involvedObjectFields('regarding'), reason: (o) => str(o.reason) ?? '', type: (o) => str(o.type) ?? '' },
  },
];

export const apiVersionOf = (t: ResourceType): string => (t.group ? `${t.group}/${t.version}` : t.version);

/** "certificaterequests.cert-manager.io" for grouped types, "pods" for core: the name used in error messages. */
export const qualifiedName = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);

/** Unique key of a resource type inside the store. */
export const typeKey = (t: ResourceType): string => `${t.group}/${t.version}/${t.plural}`;

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** Resolve a test's loose name ("pods", "certificaterequests.cert-manager.io", "Lease") to a type. */
export function resolveType(name: string): ResourceType {
  const lower = name.toLowerCase();
  const found =
    RESOURCE_TYPES.find((t) => qualifiedName(t) === lower) ??
    RESOURCE_TYPES.find((t) => t.plural === lower || t.singular === lower || t.kind.toLowerCase() === lower);
  if (!found) throw new Error(`kube-sim: unknown resource "${name}"`);
  return found;
}

export function apiResourceList(groupVersion: string): object {
  const resources = RESOURCE_TYPES.filter((t) => apiVersionOf(t) === groupVersion).flatMap((t) => {
    const main = {
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: VERBS,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    };
    const status = { name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] };
    return t.hasStatus ? [main, status] : [main];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

export function apiGroups(): Array<{ name: string; versions: Array<{ groupVersion: string; version: string }>; preferredVersion: { groupVersion: string; version: string } }> {
  const names = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => t.group))];
  return names.map((name) => {
    const versions = [...new Set(RESOURCE_TYPES.filter((t) => t.group === name).map((t) => t.version))].map((version) => ({
      groupVersion: `${name}/${version}`, version,
    }));
    return { name, versions, preferredVersion: versions[0] };
  });
}
