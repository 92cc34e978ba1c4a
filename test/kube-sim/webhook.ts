import type { UserInfo } from './auth';
import type { KubeObject, ResourceType } from './resources';
import { invalid, type StatusCause } from './status';
import { isKnownUsage } from './usages';

/**
 * cert-manager's admission webhook, for CertificateRequests only: the mutating part stamps the
 * requester's identity into the spec, the validating part checks the spec and the approval
 * conditions. RBAC on `signers/approve` is not simulated.
 */
const WEBHOOK_PREFIX = 'admission webhook "webhook.cert-manager.io" denied the request';
const IDENTITY_FIELDS = ['username', 'uid', 'groups', 'extra'] as const;

type Spec = Record<string, unknown>;
type Condition = { type?: string; status?: string };

const required = (field: string, message = 'must be specified'): StatusCause => ({
  reason: 'FieldValueRequired', field, message: `Required value: ${message}`,
});
const invalidValue = (field: string, value: unknown, why: string): StatusCause => ({
  reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
});
const forbidden = (field: string, why: string): StatusCause => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${why}` });

export function isCertificateRequest(type: ResourceType): boolean {
  return type.group === 'cert-manager.io' && type.plural === 'certificaterequests';
}

/** CREATE: overwrite spec.username/uid/groups/extra with the authenticated user, then validate. */
export function admitCreate(type: ResourceType, obj: KubeObject, user: UserInfo): KubeObject {
  const spec: Spec = { ...((obj.spec as Spec) ?? {}) };
  for (const f of IDENTITY_FIELDS) delete spec[f];
  // cert-manager's Go types use omitempty: empty identity fields are simply absent.
  if (user.username) spec.username = user.username;
  if (user.uid) spec.uid = user.uid;
  if (user.groups.length) spec.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) spec.extra = structuredClone(user.extra);
  const mutated = { ...obj, spec };
  reject(type, mutated, [...validateSpec(spec), ...validateApproval(conditionsOf(mutated), [])]);
  return mutated;
}

/** UPDATE (main resource or /status): identity fields keep their old values; the spec may not change. */
export function admitUpdate(type: ResourceType, next: KubeObject, old: KubeObject): KubeObject {
  // A /status write carries the stored spec over as-is: nothing to restore or compare.
  if (next.spec === old.spec) {
    reject(type, next, validateApproval(conditionsOf(next), conditionsOf(old)));
    return next;
  }
  const oldSpec = (old.spec as Spec) ?? {};
  const spec: Spec = { ...((next.spec as Spec) ?? {}) };
  for (const f of IDENTITY_FIELDS) {
    if (f in oldSpec) spec[f] = oldSpec[f];
    else delete spec[f];
  }
  const mutated = { ...next, spec };
  const causes = validateApproval(conditionsOf(mutated), conditionsOf(old));
  if (JSON.stringify(canonical(spec)) !== JSON.stringify(canonical(oldSpec))) {
    causes.unshift(forbidden('spec', 'cannot change spec after creation'));
  }
  reject(type, mutated, causes);
  return mutated;
}

function reject(type: ResourceType, obj: KubeObject, causes: StatusCause[]): void {
  if (causes.length) throw invalid(type, obj.metadata.name ?? '', causes, WEBHOOK_PREFIX);
}

function validateSpec(spec: Spec): StatusCause[] {
  const causes: StatusCause[] = [];
  const request = spec.request;
  if (typeof request !== 'string' || request === '') causes.push(required('spec.request'));
  else if (!decodesToCsrPem(request)) causes.push(invalidValue('spec.request', '<redacted>', 'failed to decode csr: error decoding certificate request PEM block'));
  const issuerRef = spec.issuerRef as { name?: unknown } | undefined;
  if (!issuerRef || typeof issuerRef.name !== 'string' || issuerRef.name === '') causes.push(required('spec.issuerRef.name'));
  const usages = spec.usages;
  if (usages !== undefined && !Array.isArray(usages)) causes.push(invalidValue('spec.usages', usages, 'must be a list'));
  (Array.isArray(usages) ? usages : []).forEach((u, i) => {
    if (typeof u !== 'string' || !isKnownUsage(u)) {
      causes.push({ reason: 'FieldValueNotSupported', field: `spec.usages[${i}]`, message: `Unsupported value: ${JSON.stringify(u)}` });
    }
  });
  return causes;
}

/** Mirrors cert-manager: Approved/Denied may only be True, never both, and never change once set. */
function validateApproval(next: Condition[], old: Condition[]): StatusCause[] {
  const causes: StatusCause[] = [];
  const find = (list: Condition[], t: string) => list.find((c) => c.type === t);
  for (const t of ['Approved', 'Denied']) {
    const now = find(next, t);
    const before = find(old, t);
    if (now && now.status !== 'True') causes.push(forbidden('status.conditions', `'${t}' condition may only be set to True`));
    if (before && JSON.stringify(canonical(before)) !== JSON.stringify(canonical(now))) {
      causes.push(forbidden(`status.conditions.${t}`, `'${t}' condition may not be modified once set`));
    }
  }
  if (find(next, 'Approved') && find(next, 'Denied')) {
    causes.push(forbidden('status.conditions', "both 'Denied' and 'Approved' conditions cannot coexist"));
  }
  return causes;
}

const conditionsOf = (obj: KubeObject): Condition[] => {
  const conditions = (obj.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as Condition[]) : [];
};

function decodesToCsrPem(b64: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return false;
  const pem = Buffer.from(b64, 'base64').toString('latin1');
  return /-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]+-----END (NEW )?CERTIFICATE REQUEST-----/.test(pem);
}

/** Key-order-insensitive form for equality checks (Go compares structs, not JSON text). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}
