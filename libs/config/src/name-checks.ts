import { validateTrustDomain } from '@spiffe-csi/spiffe';

// Pure checks for names the operator passes in. Each returns the reason a value is invalid, or
// null when it is fine, so the same function serves class-validator and direct callers.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/**
 * SPIFFE trust domain name (spiffe-checklists A2–A7), with clearer reasons for the two mistakes
 * operators make most: passing a whole SPIFFE ID, or an IPv6 literal.
 */
export function trustDomainProblem(td: string): string | null {
  if (td.startsWith('spiffe://')) return 'must be a bare trust domain name, not a SPIFFE ID';
  if (td.includes('[') || td.includes(']')) return 'trust domain must not be an IPv6 address';
  return validateTrustDomain(td);
}

export function dns1123LabelProblem(value: string): string | null {
  if (value.length > 63) return 'must be at most 63 characters';
  if (!DNS1123_LABEL.test(value)) {
    return 'must be a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)';
  }
  return null;
}

export function dns1123SubdomainProblem(value: string): string | null {
  if (value.length > 253) return 'must be at most 253 characters';
  if (value === '' || !value.split('.').every((label) => DNS1123_LABEL.test(label))) {
    return 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", each part starting and ending with a letter or digit)';
  }
  return null;
}

/** Kubernetes annotation/label key: `[prefix/]name`, prefix a DNS-1123 subdomain. */
export function annotationKeyProblem(key: string): string | null {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const prefixProblem = dns1123SubdomainProblem(prefix);
    if (prefixProblem) return `annotation key "${key}": prefix ${prefixProblem}`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `annotation key "${key}": name must be 1-63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
  }
  return null;
}

/**
 * A file name inside the volume: one path segment. Names starting with `..` are reserved for the
 * atomic writer's `..data` / `..<timestamp>` entries.
 */
export function fileNameProblem(value: string): string | null {
  if (value === '') return 'must not be empty';
  if (value.includes('/') || value.includes('\\'))
    return 'must be a single file name without "/" or "\\"';
  if (value.includes('\0')) return 'must not contain NUL';
  if (value === '.' || value.startsWith('..')) return 'must not be "." or start with ".."';
  if (Buffer.byteLength(value, 'utf8') > 255) return 'must be at most 255 bytes';
  return null;
}
