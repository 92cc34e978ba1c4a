import { CONTEXT_SERVICE_ACCOUNT_TOKENS, REDACTED } from '../volume/volume-context-keys';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A copy of a CSI request that is safe to log: `secrets` dropped and the service account token map
 * replaced by a placeholder. The input is not modified.
 */
export function redactRequest(request: unknown): unknown {
  if (!isObject(request)) return request;
  const { secrets: _secrets, ...rest } = request;
  const context = rest.volume_context;
  if (isObject(context) && CONTEXT_SERVICE_ACCOUNT_TOKENS in context) {
    rest.volume_context = { ...context, [CONTEXT_SERVICE_ACCOUNT_TOKENS]: REDACTED };
  }
  return rest;
}

// Shorter strings are too likely to occur by accident and carry no credential anyway.
const MIN_SECRET_LENGTH = 8;

/**
 * Every sensitive string a request carries: secret values, the raw token map and each token in it.
 * Used to scrub error texts from lower layers before they are logged.
 */
export function sensitiveValuesOf(request: unknown): string[] {
  if (!isObject(request)) return [];
  const values: string[] = [];
  if (isObject(request.secrets)) {
    for (const v of Object.values(request.secrets)) if (typeof v === 'string') values.push(v);
  }
  const context = request.volume_context;
  const tokens = isObject(context) ? context[CONTEXT_SERVICE_ACCOUNT_TOKENS] : undefined;
  if (typeof tokens === 'string') {
    values.push(tokens);
    values.push(...tokensInside(tokens));
  }
  return values.filter((v) => v.length >= MIN_SECRET_LENGTH);
}

function tokensInside(tokenMap: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(tokenMap);
  } catch {
    return [];
  }
  if (!isObject(parsed)) return [];
  return Object.values(parsed)
    .map((entry) => (isObject(entry) ? entry.token : undefined))
    .filter((t): t is string => typeof t === 'string');
}

/** Replaces every occurrence of any of `secrets` in `text` with the placeholder. */
export function scrub(text: string, secrets: readonly string[]): string {
  // Longest first so a token inside the raw map is not half-replaced.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return ordered.reduce((acc, secret) => acc.split(secret).join(REDACTED), text);
}
