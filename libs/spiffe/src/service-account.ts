import { SpiffeId } from './spiffe-id';

/** Kubernetes namespace names are DNS-1123 labels. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;

export function isDns1123Label(name: string): boolean {
  return typeof name === 'string' && name.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(name);
}

/** ServiceAccount names are DNS-1123 subdomains: dot-separated labels, 253 characters at most. */
export function isDns1123Subdomain(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= DNS1123_SUBDOMAIN_MAX &&
    name.split('.').every(isDns1123Label)
  );
}

/** Reason a namespace / ServiceAccount name pair is invalid, or null. */
export function serviceAccountNamesReason(
  namespace: unknown,
  serviceAccount: unknown,
): string | null {
  if (typeof namespace !== 'string' || namespace === '') return 'namespace is missing';
  if (typeof serviceAccount !== 'string' || serviceAccount === '') {
    return 'service account name is missing';
  }
  if (!isDns1123Label(namespace)) return 'namespace is not a valid DNS-1123 label';
  if (!isDns1123Subdomain(serviceAccount)) {
    return 'service account name is not a valid DNS-1123 subdomain';
  }
  return null;
}

const USERNAME_PREFIX = ['system', 'serviceaccount'] as const;

/** Splits exactly "system:serviceaccount:<ns>:<sa>"; anything else (other users, groups) → null. */
export function parseServiceAccountUsername(
  u: string,
): { namespace: string; serviceAccount: string } | null {
  if (typeof u !== 'string') return null;
  const parts = u.split(':');
  if (parts.length !== 4 || parts[0] !== USERNAME_PREFIX[0] || parts[1] !== USERNAME_PREFIX[1]) {
    return null;
  }
  const [, , namespace, serviceAccount] = parts;
  if (serviceAccountNamesReason(namespace, serviceAccount)) return null;
  return { namespace, serviceAccount };
}

/**
 * The SPIFFE ID a ServiceAccount username is entitled to, or null when the username is not a
 * ServiceAccount. Throws SpiffeIdError for an invalid trust domain: that is a configuration error,
 * which startup validation should already have caught.
 */
export function spiffeIdForUsername(trustDomain: string, username: string): SpiffeId | null {
  const sa = parseServiceAccountUsername(username);
  return sa ? SpiffeId.forServiceAccount(trustDomain, sa.namespace, sa.serviceAccount) : null;
}
