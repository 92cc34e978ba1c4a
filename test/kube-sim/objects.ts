import { randomInt } from 'node:crypto';
import { apiVersionOf, type KubeObject, type ResourceType } from './resources';
import { ApiError, badRequest, invalid } from './status';

/** RFC 3339 with second precision, as metav1.Time serialises. */
export const timestamp = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Kinds whose metadata.generation the real server maintains (custom resources and Pods here). */
export const tracksGeneration = (t: ResourceType): boolean => t.custom || t.plural === 'pods';

/** Parse a JSON request body into an object of the expected kind (400 when it is not one). */
export function parseObject(t: ResourceType, raw: string): KubeObject {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (e) {
    throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the object provided is unrecognized (must be of type ${t.kind})`);
  }
  const obj = body as KubeObject;
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(t)) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
  }
  if (obj.kind !== undefined && obj.kind !== t.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${t.kind})`);
  }
  if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))) {
    throw badRequest('metadata must be an object');
  }
  const { apiVersion: _a, kind: _k, metadata, ...rest } = obj;
  return { apiVersion: apiVersionOf(t), kind: t.kind, metadata: { ...(metadata ?? {}) }, ...rest };
}

/** The namespace in the body must agree with the URL; cluster-scoped objects carry none. */
export function placeInNamespace(t: ResourceType, obj: KubeObject, namespace: string | undefined): void {
  if (!t.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = namespace;
}

export function checkName(t: ResourceType, obj: KubeObject): void {
  const name = obj.metadata.name;
  if (!name) {
    throw invalid(t, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
  }
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw invalid(t, name, [{
      reason: 'FieldValueInvalid', field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    }]);
  }
  const labels = obj.metadata.labels;
  if (labels !== undefined && (typeof labels !== 'object' || Object.values(labels).some((v) => typeof v !== 'string'))) {
    throw invalid(t, name, [{ reason: 'FieldValueInvalid', field: 'metadata.labels', message: 'Invalid value: labels must be a map of strings' }]);
  }
}

/** core/v1 Events must sit in their involved object's namespace (the real server answers 422). */
export function checkEventNamespace(t: ResourceType, obj: KubeObject): void {
  if (t.group || t.plural !== 'events') return;
  const involved = (obj.involvedObject as { namespace?: unknown } | undefined)?.namespace;
  if (typeof involved === 'string' && involved !== '' && involved !== obj.metadata.namespace) {
    throw invalid(t, obj.metadata.name ?? '', [{
      reason: 'FieldValueInvalid', field: 'involvedObject.namespace',
      message: `Invalid value: ${JSON.stringify(involved)}: does not match event.namespace`,
    }]);
  }
}

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[randomInt(GENERATE_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

/** Everything that is not metadata or status, i.e. what bumps metadata.generation. */
export function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Equality ignoring resourceVersion: unchanged writes are not persisted, as on the real server. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return jsonEqual(strip(a), strip(b));
}

/**
 * Equality as the JSON encodings would see it, ignoring key order (Go compares structs, not
 * text): undefined-valued keys count as absent. Shared references (the spec a /status write
 * carries over) compare in O(1).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => jsonEqual(v, other[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const defined = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  const keys = defined(x);
  return keys.length === defined(y).length && keys.every((k) => jsonEqual(x[k], y[k]));
}

/** Status a type starts with on create (the client's .status is dropped for types with the subresource). */
export function initialStatus(t: ResourceType): object | undefined {
  if (t.plural === 'pods') return { phase: 'Pending' };
  if (t.plural === 'namespaces') return { phase: 'Active' };
  return undefined;
}

export const conflictPrecondition = (what: string, expected: string, actual: string) =>
  new ApiError(409, 'Conflict', `Precondition failed: ${what} in precondition: ${expected}, ${what} in object meta: ${actual}`);
