import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonOf } from './json-cache';
import type { ResourceApi } from './api';
import type { Authenticator, UserInfo } from './auth';
import { discovery } from './discovery';
import type { FaultState } from './faults';
import { route } from './routes';
import type { KubeObject, ResourceType } from './resources';
import { ApiError, deletedStatus, injectedFailure, methodNotAllowed, pathNotFound, unauthorized } from './status';
import type { WatchHub } from './watch';

export interface RequestLogEntry { method: string; path: string; query: string; user?: string; status: number }

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const LOG_LIMIT = 200_000;

interface Deps { api: ResourceApi; auth: Authenticator; faults: FaultState; watches: WatchHub; log: RequestLogEntry[]; serverAddress: () => string }

/** One HTTP request end to end: fault injection, authentication, routing, Status errors, logging. */
export function createRequestHandler(deps: Deps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://kube-sim');
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = { method, path: url.pathname, query: url.search, status: 0 };
    res.on('finish', () => record(deps.log, entry, res.statusCode));
    res.on('close', () => record(deps.log, entry, res.statusCode));

    const injected = deps.faults.takeFailure(method, url.pathname);
    if (injected !== undefined) return sendError(res, injectedFailure(injected));
    if (HEALTH_PATHS.has(url.pathname)) return sendText(res, 200, 'ok');
    const user = deps.auth.authenticate(req.headers.authorization);
    if (!user) return sendError(res, unauthorized());
    entry.user = user.username;

    readBody(req)
      .then((body) => handle(deps, method, url, body, req, res, user))
      .catch((err: unknown) => sendError(res, err));
  };
}

const SELF_SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';

function handle(deps: Deps, method: string, url: URL, body: string, req: IncomingMessage, res: ServerResponse, user: UserInfo): void {
  // Not stored, only answered (as the real server does); with no RBAC here, everything is allowed.
  if (method === 'POST' && url.pathname === SELF_SUBJECT_ACCESS_REVIEWS) {
    const review = JSON.parse(body || '{}') as { spec?: unknown };
    return sendJson(res, 201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
      metadata: {}, spec: review.spec ?? {}, status: { allowed: true, reason: 'kube-sim has no RBAC' } });
  }
  // Answered by the same authenticator the server uses for its own requests (any caller may ask:
  // no RBAC here; the real server needs create on tokenreviews).
  if (method === 'POST' && url.pathname === TOKEN_REVIEWS) {
    const review = JSON.parse(body || '{}') as { spec?: { token?: string } };
    const reviewed = review.spec?.token ? deps.auth.authenticate(`Bearer ${review.spec.token}`) : undefined;
    return sendJson(res, 201, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {},
      spec: review.spec ?? {}, status: reviewed ? { authenticated: true, user: reviewed } : { authenticated: false, error: 'invalid bearer token' } });
  }
  const r = route(url.pathname);
  if (r.kind === 'discovery') {
    const doc = method === 'GET' ? discovery(r.path, deps.serverAddress()) : undefined;
    if (!doc) throw pathNotFound();
    return sendJson(res, 200, doc);
  }
  if (r.kind === 'unknown' || (r.subresource && r.subresource !== 'status')) throw pathNotFound();
  if (r.subresource === 'status' && !r.type.hasStatus) throw pathNotFound();
  const { type, namespace, name } = r;
  const sub = r.subresource as 'status' | undefined;
  const watch = r.watchPath || ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const { api } = deps;

  if (!name) {
    if (method === 'GET' && watch) return deps.watches.serve(type, namespace, url.searchParams, res);
    if (method === 'GET') return sendJson(res, 200, api.list(type, namespace, url.searchParams));
    if (method === 'POST' && (namespace !== undefined || !type.namespaced)) {
      return sendJson(res, 201, api.create(type, namespace, body, user));
    }
    if (method === 'DELETE' && (namespace !== undefined || !type.namespaced)) {
      return sendJson(res, 200, deleteCollection(api, type, namespace, url.searchParams));
    }
    throw methodNotAllowed();
  }
  switch (method) {
    case 'GET':
      return sendJson(res, 200, api.get(type, namespace, name));
    case 'PUT':
      return sendJson(res, 200, api.update(type, namespace, name, body, sub));
    case 'PATCH':
      return sendJson(res, 200, api.patch(type, namespace, name, req.headers['content-type'] ?? '', body, sub));
    case 'DELETE':
      if (sub) throw methodNotAllowed();
      return sendJson(res, 200, deleteResponse(type, api.delete(type, namespace, name, body)));
    default:
      throw methodNotAllowed();
  }
}

/** The object while finalizers hold it (and always for Pods and Namespaces), else a Success Status. */
function deleteResponse(type: ResourceType, deleted: KubeObject): object {
  const returnsObject = deleted.metadata.deletionTimestamp !== undefined || (!type.group && ['pods', 'namespaces'].includes(type.plural));
  return returnsObject ? deleted : deletedStatus(type, deleted);
}

function deleteCollection(api: ResourceApi, type: ResourceType, namespace: string | undefined, query: URLSearchParams): object {
  const list = api.list(type, namespace, query) as { items: KubeObject[] };
  const items = list.items.map((o) => api.delete(type, o.metadata.namespace, o.metadata.name!, ''));
  return { ...list, items };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        req.removeAllListeners('data');
        req.resume();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  const payload = jsonOf(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const apiError = err instanceof ApiError ? err : new ApiError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`);
  if (apiError.details?.retryAfterSeconds) res.setHeader('Retry-After', String(apiError.details.retryAfterSeconds));
  sendJson(res, apiError.code, apiError.toStatus());
}

function record(log: RequestLogEntry[], entry: RequestLogEntry, status: number): void {
  if (entry.status !== 0) return;
  entry.status = status;
  log.push(entry);
  if (log.length > LOG_LIMIT * 1.5) log.splice(0, log.length - LOG_LIMIT);
}
