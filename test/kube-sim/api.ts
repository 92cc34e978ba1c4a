import { randomUUID } from 'node:crypto';
import type { UserInfo } from './auth';
import {
  checkEventNamespace, checkName, conflictPrecondition, generateName, initialStatus, parseObject, placeInNamespace, sameContent,
  jsonEqual, specPart, timestamp, tracksGeneration,
} from './objects';
import { applyJsonPatch, applyMergePatch } from './patch';
import { apiVersionOf, findType, RESOURCE_TYPES, type KubeObject, type ResourceType } from './resources';
import { combine, parseFieldSelector, parseLabelSelector } from './selectors';
import { alreadyExists, badRequest, conflict, invalid, notFound, unsupportedMediaType } from './status';
import type { ObjectStore } from './store';
import { admitCreate, admitUpdate, isCertificateRequest } from './webhook';

export type Subresource = 'status' | undefined;

const NAMESPACES = findType('', 'v1', 'namespaces')!;

/** Fault hooks the API layer consults. */
export interface ApiFaults {
  takeStatusConflict(): boolean;
}

/**
 * The object semantics of kube-apiserver (create/update/patch/delete/list), independent of HTTP.
 * Namespaces are created on demand when something is created in one (lenient: the real server
 * answers 404 for a missing namespace).
 */
export class ResourceApi {
  constructor(
    private readonly store: ObjectStore,
    private readonly faults: ApiFaults,
  ) {}

  get(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const obj = this.store.get(t, ns, name);
    if (!obj) throw notFound(t, name);
    return obj;
  }

  list(t: ResourceType, ns: string | undefined, query: URLSearchParams): object {
    const matcher = combine(parseLabelSelector(query.get('labelSelector')), parseFieldSelector(query.get('fieldSelector'), t));
    const objects = this.store.list(t, ns);
    const selected = matcher ? objects.filter(matcher) : objects;
    // Built-in lists carry no kind/apiVersion per item; custom resource lists do.
    const items = t.custom ? selected : selected.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    return {
      kind: `${t.kind}List`, apiVersion: apiVersionOf(t),
      metadata: { resourceVersion: String(this.store.currentRevision()) }, items,
    };
  }

  create(t: ResourceType, ns: string | undefined, rawBody: string, user: UserInfo): KubeObject {
    let obj = parseObject(t, rawBody);
    placeInNamespace(t, obj, ns);
    const meta = obj.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) {
      do meta.name = generateName(meta.generateName);
      while (this.store.get(t, ns, meta.name));
    }
    checkName(t, obj);
    checkEventNamespace(t, obj);
    if (this.store.get(t, ns, meta.name!)) throw alreadyExists(t, meta.name!);
    obj.metadata = {
      ...meta, uid: randomUUID(), creationTimestamp: timestamp(),
      ...(tracksGeneration(t) ? { generation: 1 } : {}),
    };
    delete obj.metadata.deletionTimestamp;
    if (t.hasStatus) {
      delete obj.status;
      const status = initialStatus(t);
      if (status) obj.status = status;
    }
    if (t.plural === 'namespaces' && !t.group) obj = namespaceDefaults(obj);
    if (isCertificateRequest(t)) obj = admitCreate(t, obj, user);
    if (ns !== undefined) this.ensureNamespace(ns);
    return this.store.commit(t, 'ADDED', obj);
  }

  update(t: ResourceType, ns: string | undefined, name: string, rawBody: string, sub: Subresource): KubeObject {
    const body = parseObject(t, rawBody);
    placeInNamespace(t, body, ns);
    if (body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    const existing = this.get(t, ns, name);
    if (!body.metadata.resourceVersion && t.custom) {
      throw invalid(t, name, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    return this.write(t, existing, body, sub);
  }

  patch(t: ResourceType, ns: string | undefined, name: string, contentType: string, rawBody: string, sub: Subresource): KubeObject {
    const existing = this.get(t, ns, name);
    let patchBody: unknown;
    try {
      patchBody = JSON.parse(rawBody);
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const type = contentType.split(';')[0].trim().toLowerCase();
    let patched: unknown;
    if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
      patched = applyMergePatch(existing, patchBody);
    } else if (type === 'application/json-patch+json') {
      patched = applyJsonPatch(existing, patchBody);
    } else {
      throw unsupportedMediaType(type);
    }
    const candidate = parseObject(t, JSON.stringify(patched));
    placeInNamespace(t, candidate, ns);
    if (candidate.metadata.name !== name) throw badRequest('metadata.name may not be changed by a patch');
    return this.write(t, existing, candidate, sub);
  }

  delete(t: ResourceType, ns: string | undefined, name: string, rawBody: string): KubeObject {
    const existing = this.get(t, ns, name);
    checkDeletePreconditions(rawBody, existing);
    if (existing.metadata.finalizers?.length) {
      if (existing.metadata.deletionTimestamp) return existing;
      return this.store.commit(t, 'MODIFIED', { ...existing, metadata: { ...existing.metadata, deletionTimestamp: timestamp() } }, existing);
    }
    if (t.plural === 'namespaces' && !t.group) this.deleteNamespaceContents(name);
    return this.store.commit(t, 'DELETED', existing, existing);
  }

  /** Shared tail of PUT and PATCH: concurrency check, subresource split, generation, admission, no-op skip. */
  private write(t: ResourceType, existing: KubeObject, candidate: KubeObject, sub: Subresource): KubeObject {
    const name = existing.metadata.name!;
    const rv = candidate.metadata.resourceVersion;
    if (sub === 'status' && this.faults.takeStatusConflict()) throw conflict(t, name);
    if (rv && rv !== existing.metadata.resourceVersion) throw conflict(t, name);
    let next: KubeObject;
    if (sub === 'status') {
      next = { ...existing, status: candidate.status };
      if (candidate.status === undefined) delete next.status;
    } else {
      next = { ...candidate, metadata: { ...candidate.metadata, ...serverOwnedMetadata(existing) } };
      if (t.hasStatus) {
        next.status = existing.status;
        if (existing.status === undefined) delete next.status;
      }
    }
    // Mutating admission runs before the strategy decides whether the spec (generation) changed.
    if (isCertificateRequest(t)) next = admitUpdate(t, next, existing);
    if (sub !== 'status' && tracksGeneration(t) && !jsonEqual(specPart(next), specPart(existing))) {
      next = { ...next, metadata: { ...next.metadata, generation: (existing.metadata.generation ?? 1) + 1 } };
    }
    if (existing.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      return this.store.commit(t, 'DELETED', next, existing);
    }
    if (sameContent(next, existing)) return existing;
    return this.store.commit(t, 'MODIFIED', next, existing);
  }

  ensureNamespace(name: string): void {
    if (this.store.get(NAMESPACES, undefined, name)) return;
    const ns: KubeObject = {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name, uid: randomUUID(), creationTimestamp: timestamp() }, status: { phase: 'Active' },
    };
    this.store.commit(NAMESPACES, 'ADDED', namespaceDefaults(ns));
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const t of allNamespacedTypes()) {
      for (const obj of this.store.list(t, namespace)) this.store.commit(t, 'DELETED', obj, obj);
    }
  }
}

/** Fields a client cannot change through PUT/PATCH of the main resource. */
function serverOwnedMetadata(existing: KubeObject): Partial<KubeObject['metadata']> {
  const m = existing.metadata;
  const owned: Partial<KubeObject['metadata']> = { uid: m.uid, creationTimestamp: m.creationTimestamp, name: m.name };
  if (m.namespace !== undefined) owned.namespace = m.namespace;
  if (m.generation !== undefined) owned.generation = m.generation;
  if (m.deletionTimestamp !== undefined) owned.deletionTimestamp = m.deletionTimestamp;
  return owned;
}

function namespaceDefaults(obj: KubeObject): KubeObject {
  return {
    ...obj,
    metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name! } },
    spec: { finalizers: ['kubernetes'], ...(obj.spec as object) },
  };
}

function checkDeletePreconditions(rawBody: string, existing: KubeObject): void {
  if (!rawBody.trim()) return;
  let options: { preconditions?: { uid?: string; resourceVersion?: string } };
  try {
    options = JSON.parse(rawBody);
  } catch {
    throw badRequest('DeleteOptions body is not valid JSON');
  }
  const pre = options?.preconditions;
  if (pre?.uid && pre.uid !== existing.metadata.uid) throw conflictPrecondition('UID', pre.uid, existing.metadata.uid ?? '');
  if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw conflictPrecondition('ResourceVersion', pre.resourceVersion, existing.metadata.resourceVersion ?? '');
  }
}

const allNamespacedTypes = () => RESOURCE_TYPES.filter((t) => t.namespaced);
