/** metav1.Status as returned by the API server on failures and in watch ERROR events. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion?: string;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { type?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

/** A failed API call. code 0 means no HTTP response was received at all. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly status?: KubeStatus,
  ) {
    super(`${method} ${path}: ${code ? `${code} ${reason}` : reason}: ${message}`);
    this.name = 'KubeApiError';
  }

  /** Builds the error from an HTTP response, parsing a Status body when there is one. */
  static fromResponse(method: string, path: string, code: number, body: string): KubeApiError {
    const status = parseStatus(body);
    const reason = status?.reason || reasonForCode(code);
    const message = status?.message || body.slice(0, 200).trim() || reason;
    return new KubeApiError(code, reason, message, method, path, status);
  }

  static fromStatus(method: string, path: string, status: KubeStatus): KubeApiError {
    const code = status.code ?? 500;
    const reason = status.reason || reasonForCode(code);
    return new KubeApiError(code, reason, status.message || reason, method, path, status);
  }
}

export function parseStatus(body: string): KubeStatus | undefined {
  try {
    const parsed = JSON.parse(body) as Partial<KubeStatus>;
    return parsed && parsed.kind === 'Status' ? (parsed as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

function reasonForCode(code: number): string {
  const known: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return known[code] ?? `HTTP${code}`;
}

const asApiError = (e: unknown): KubeApiError | undefined =>
  e instanceof KubeApiError ? e : undefined;

export const isNotFound = (e: unknown): boolean => asApiError(e)?.code === 404;
export const isAlreadyExists = (e: unknown): boolean =>
  asApiError(e)?.code === 409 && asApiError(e)?.reason === 'AlreadyExists';
export const isConflict = (e: unknown): boolean =>
  asApiError(e)?.code === 409 && asApiError(e)?.reason !== 'AlreadyExists';
export const isGone = (e: unknown): boolean => {
  const err = asApiError(e);
  return !!err && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
};
/** Worth retrying later: no response, throttled, or a server-side failure. */
export const isTransient = (e: unknown): boolean => {
  const err = asApiError(e);
  if (!err) return true;
  return err.code === 0 || err.code === 429 || err.code >= 500;
};
