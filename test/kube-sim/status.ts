import { qualifiedName, type ResourceType } from './resources';

/** A failure answered as a kube-apiserver `Status` object. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number },
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason,
      ...(this.details ? { details: this.details } : {}), code: this.code,
    };
  }
}

export interface StatusCause { reason: string; message: string; field: string }
export interface StatusBody {
  kind: 'Status'; apiVersion: 'v1'; metadata: object; status: 'Failure' | 'Success'; message?: string;
  reason?: string; details?: object; code: number;
}

const groupOf = (t: ResourceType) => (t.group ? { group: t.group } : {});

export const notFound = (t: ResourceType, name: string) =>
  new ApiError(404, 'NotFound', `${qualifiedName(t)} "${name}" not found`, { name, ...groupOf(t), kind: t.plural });

export const alreadyExists = (t: ResourceType, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualifiedName(t)} "${name}" already exists`, { name, ...groupOf(t), kind: t.plural });

export const conflict = (t: ResourceType, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, ...groupOf(t), kind: t.plural },
  );

/**
 * 422 Invalid; `prefix` lets the webhook say it was the one that denied the request. Like the real
 * server, custom resources are named "<plural>.<group>" and built-ins "<Kind>[.<group>]".
 */
export function invalid(t: ResourceType, name: string, causes: StatusCause[], prefix?: string): ApiError {
  const what = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const list = causes.length > 1 ? `[${what}]` : what;
  const message = prefix
    ? `${prefix}: ${list}`
    : `${t.custom ? qualifiedName(t) : `${t.kind}${t.group ? `.${t.group}` : ''}`} "${name}" is invalid: ${list}`;
  return new ApiError(422, 'Invalid', message, { name, ...groupOf(t), kind: t.kind, causes });
}

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');
export const methodNotAllowed = () =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
export const pathNotFound = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');
export const unsupportedMediaType = (type: string) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got ${type})`,
  );

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  409: 'Conflict', 410: 'Expired', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError',
  503: 'ServiceUnavailable', 504: 'Timeout',
};

/** The error a fault injection answers with, shaped like the real one for that code. */
export function injectedFailure(code: number): ApiError {
  const reason = REASON_BY_CODE[code] ?? 'InternalError';
  const retry = code === 429 || code === 503 ? { retryAfterSeconds: 1 } : undefined;
  return new ApiError(code, reason, `kube-sim: injected failure (${code} ${reason})`, retry);
}

export const tooOldResourceVersion = (requested: string, oldest: number) =>
  new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

/** What the real server answers for a DELETE that removed the object at once (Pods and Namespaces return the object). */
export function deletedStatus(t: ResourceType, obj: { metadata: { name?: string; uid?: string } }): StatusBody {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name: obj.metadata.name, ...groupOf(t), kind: t.plural, uid: obj.metadata.uid }, code: 200,
  };
}
