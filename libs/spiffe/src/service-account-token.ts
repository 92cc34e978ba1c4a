import { serviceAccountNamesReason } from './service-account';

export interface ServiceAccountTokenClaims {
  namespace: string;
  serviceAccount: string;
  podName?: string;
  podUid?: string;
  expiresAt?: Date;
}

/** Signature algorithms a Kubernetes API server may use; anything else (incl. "none") is refused. */
export const ALLOWED_TOKEN_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
]);

/** Kubernetes tokens are about 1 KiB; the cap keeps hostile input from costing real work. */
export const MAX_TOKEN_LENGTH = 64 * 1024;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const LEGACY_NAMESPACE_CLAIM = 'kubernetes.io/serviceaccount/namespace';
const LEGACY_SERVICE_ACCOUNT_CLAIM = 'kubernetes.io/serviceaccount/service-account.name';

type JsonObject = Record<string, unknown>;

// Messages describe the defect only: the token is a bearer credential and must never be echoed.
function tokenError(reason: string): Error {
  return new Error(`service account token: ${reason}`);
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeJsonPart(part: string, what: 'header' | 'payload'): JsonObject {
  if (!BASE64URL.test(part) || part.length % 4 === 1) {
    throw tokenError(`${what} is not base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw tokenError(`${what} is not valid JSON`);
  }
  if (!isObject(value)) throw tokenError(`${what} is not a JSON object`);
  return value;
}

function optionalString(v: unknown, claim: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw tokenError(`claim ${claim} is not a string`);
  return v === '' ? undefined : v;
}

function readExpiry(payload: JsonObject): Date | undefined {
  const exp = payload.exp;
  if (exp === undefined) return undefined;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp < 0) {
    throw tokenError('claim exp is not a NumericDate');
  }
  const date = new Date(exp * 1000);
  if (Number.isNaN(date.getTime())) throw tokenError('claim exp is out of range');
  return date;
}

function readIdentity(payload: JsonObject): Omit<ServiceAccountTokenClaims, 'expiresAt'> {
  const k8s = payload['kubernetes.io'];
  if (k8s !== undefined) {
    if (!isObject(k8s)) throw tokenError('claim kubernetes.io is not an object');
    const sa = k8s.serviceaccount;
    const pod = k8s.pod;
    if (sa !== undefined && !isObject(sa)) {
      throw tokenError('claim kubernetes.io.serviceaccount is not an object');
    }
    if (pod !== undefined && !isObject(pod)) {
      throw tokenError('claim kubernetes.io.pod is not an object');
    }
    return {
      namespace: optionalString(k8s.namespace, 'kubernetes.io.namespace') ?? '',
      serviceAccount: optionalString(sa?.name, 'kubernetes.io.serviceaccount.name') ?? '',
      podName: optionalString(pod?.name, 'kubernetes.io.pod.name'),
      podUid: optionalString(pod?.uid, 'kubernetes.io.pod.uid'),
    };
  }
  return {
    namespace: optionalString(payload[LEGACY_NAMESPACE_CLAIM], LEGACY_NAMESPACE_CLAIM) ?? '',
    serviceAccount:
      optionalString(payload[LEGACY_SERVICE_ACCOUNT_CLAIM], LEGACY_SERVICE_ACCOUNT_CLAIM) ?? '',
  };
}

/**
 * Decodes a Kubernetes ServiceAccount JWT WITHOUT verifying its signature: the API server verifies
 * it when the token is used to create the CertificateRequest. Throws Error on anything malformed.
 */
export function readServiceAccountTokenClaims(jwt: string): ServiceAccountTokenClaims {
  if (typeof jwt !== 'string') throw tokenError('is not a string');
  const token = jwt.trim();
  if (token === '') throw tokenError('is empty');
  if (token.length > MAX_TOKEN_LENGTH) {
    throw tokenError(`is longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw tokenError('is not a JWS compact serialization (3 parts)');
  if (parts[2] === '') throw tokenError('has no signature');
  if (!BASE64URL.test(parts[2])) throw tokenError('signature is not base64url');

  const header = decodeJsonPart(parts[0], 'header');
  if (typeof header.alg !== 'string' || !ALLOWED_TOKEN_ALGORITHMS.has(header.alg)) {
    throw tokenError('alg is not one of RS/ES/PS 256/384/512');
  }
  const payload = decodeJsonPart(parts[1], 'payload');
  const identity = readIdentity(payload);
  const reason = serviceAccountNamesReason(identity.namespace, identity.serviceAccount);
  if (reason) throw tokenError(reason);
  const claims: ServiceAccountTokenClaims = {
    namespace: identity.namespace,
    serviceAccount: identity.serviceAccount,
  };
  if (identity.podName !== undefined) claims.podName = identity.podName;
  if (identity.podUid !== undefined) claims.podUid = identity.podUid;
  const expiresAt = readExpiry(payload);
  if (expiresAt) claims.expiresAt = expiresAt;
  return claims;
}
