/**
 * SPIFFE ID parsing and validation per the SPIFFE-ID specification (checklist A in
 * docs: spiffe-checklists.md). Rules follow go-spiffe's parser so both sides of the
 * wire reject the same inputs, but errors are more specific: every message names the rule.
 */

export class SpiffeIdError extends Error {
  override readonly name = 'SpiffeIdError';
}

export const SPIFFE_SCHEME_PREFIX = 'spiffe://';
export const MAX_SPIFFE_ID_BYTES = 2048;
export const MAX_TRUST_DOMAIN_BYTES = 255;

const TRUST_DOMAIN_CHAR = /^[a-z0-9._-]$/;
const PATH_SEGMENT = /^[a-zA-Z0-9._-]+$/;

/** Reason the trust domain name is invalid, or null when it is valid. */
export function validateTrustDomain(td: string): string | null {
  if (typeof td !== 'string' || td.length === 0) return 'trust domain is missing';
  if (Buffer.byteLength(td, 'utf8') > MAX_TRUST_DOMAIN_BYTES) {
    return `trust domain is longer than ${MAX_TRUST_DOMAIN_BYTES} bytes`;
  }
  for (const ch of td) {
    const reason = trustDomainCharReason(ch);
    if (reason) return reason;
  }
  return null;
}

function trustDomainCharReason(ch: string): string | null {
  if (TRUST_DOMAIN_CHAR.test(ch)) return null;
  switch (ch) {
    case '@':
      return 'trust domain must not contain userinfo';
    case ':':
      return 'trust domain must not contain a port';
    case '%':
      return 'trust domain must not contain percent-encoded characters';
    case '?':
      return 'SPIFFE ID must not contain a query';
    case '#':
      return 'SPIFFE ID must not contain a fragment';
  }
  if (ch >= 'A' && ch <= 'Z') return 'trust domain must be lowercase';
  return 'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores';
}

/** Reason a single path segment is invalid, or null. `isLast` distinguishes a trailing slash. */
function pathSegmentReason(segment: string, isLast: boolean): string | null {
  if (segment === '') {
    return isLast ? 'path must not have a trailing slash' : 'path must not contain empty segments';
  }
  if (segment === '.' || segment === '..') return 'path must not contain dot segments';
  if (PATH_SEGMENT.test(segment)) return null;
  if (segment.includes('?')) return 'SPIFFE ID must not contain a query';
  if (segment.includes('#')) return 'SPIFFE ID must not contain a fragment';
  if (segment.includes('%')) return 'path must not contain percent-encoded characters';
  return 'path segment characters are limited to letters, numbers, dots, dashes, and underscores';
}

/** Reason `path` ('' or '/a/b') is invalid, or null. */
function validatePath(path: string): string | null {
  if (path === '') return null;
  if (!path.startsWith('/')) return 'path must have a leading slash';
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const reason = pathSegmentReason(segments[i], i === segments.length - 1);
    if (reason) return reason;
  }
  return null;
}

export class SpiffeId {
  private constructor(
    readonly trustDomain: string,
    readonly path: string,
  ) {}

  static parse(value: string): SpiffeId {
    if (typeof value !== 'string' || value.length === 0) {
      throw new SpiffeIdError('SPIFFE ID cannot be empty');
    }
    if (Buffer.byteLength(value, 'utf8') > MAX_SPIFFE_ID_BYTES) {
      throw new SpiffeIdError(`SPIFFE ID is longer than ${MAX_SPIFFE_ID_BYTES} bytes`);
    }
    if (!value.startsWith(SPIFFE_SCHEME_PREFIX)) {
      throw new SpiffeIdError('scheme is missing or invalid: a SPIFFE ID starts with "spiffe://"');
    }
    const rest = value.slice(SPIFFE_SCHEME_PREFIX.length);
    const slash = rest.indexOf('/');
    const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '' : rest.slice(slash);
    const reason = validateTrustDomain(trustDomain) ?? validatePath(path);
    if (reason) throw new SpiffeIdError(reason);
    return new SpiffeId(trustDomain, path);
  }

  /** spiffe://<td>/ns/<namespace>/sa/<serviceAccount>; each name must be one valid path segment. */
  static forServiceAccount(
    trustDomain: string,
    namespace: string,
    serviceAccount: string,
  ): SpiffeId {
    const tdReason = validateTrustDomain(trustDomain);
    if (tdReason) throw new SpiffeIdError(tdReason);
    for (const [what, name] of [
      ['namespace', namespace],
      ['service account', serviceAccount],
    ] as const) {
      // A '/' would silently add segments; reject it instead of escaping.
      const reason =
        typeof name !== 'string'
          ? 'is missing'
          : name.includes('/')
            ? 'must not contain "/"'
            : null;
      const segReason = reason ?? pathSegmentReason(name, false);
      if (segReason)
        throw new SpiffeIdError(`${what} name is not a valid path segment: ${segReason}`);
    }
    return SpiffeId.parse(
      `${SPIFFE_SCHEME_PREFIX}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`,
    );
  }

  toString(): string {
    return `${SPIFFE_SCHEME_PREFIX}${this.trustDomain}${this.path}`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Trust domains are stored lowercase, so byte equality covers the case-insensitive rule. */
  equals(other: SpiffeId): boolean {
    return (
      other instanceof SpiffeId &&
      this.trustDomain === other.trustDomain &&
      this.path === other.path
    );
  }
}
