import { describe, expect, it } from 'vitest';
import {
  isDns1123Label,
  isDns1123Subdomain,
  parseServiceAccountUsername,
  spiffeIdForUsername,
} from './service-account';
import { SpiffeIdError } from './spiffe-id';

describe('parseServiceAccountUsername', () => {
  it.each([
    ['system:serviceaccount:default:default', 'default', 'default'],
    ['system:serviceaccount:team-a:web.server', 'team-a', 'web.server'],
    ['system:serviceaccount:a1:b-2', 'a1', 'b-2'],
    [
      `system:serviceaccount:${'n'.repeat(63)}:${'s'.repeat(63)}.x`,
      'n'.repeat(63),
      `${'s'.repeat(63)}.x`,
    ],
  ])('accepts %s', (username, namespace, serviceAccount) => {
    expect(parseServiceAccountUsername(username)).toEqual({ namespace, serviceAccount });
  });

  it.each([
    '',
    'system:serviceaccount:default', // three parts
    'system:serviceaccount:default:sa:extra', // five parts
    'system:serviceaccount::sa', // empty namespace
    'system:serviceaccount:ns:', // empty service account
    'system:serviceaccounts:ns:sa', // group, not a user
    'System:serviceaccount:ns:sa',
    'system:ServiceAccount:ns:sa',
    'system:node:ns:sa',
    'system:kube-scheduler',
    'kubernetes-admin',
    'system:serviceaccount:Default:sa', // uppercase namespace
    'system:serviceaccount:ns:Web', // uppercase service account
    'system:serviceaccount:ns.dotted:sa', // namespace is a label, no dots
    'system:serviceaccount:-ns:sa',
    'system:serviceaccount:ns-:sa',
    'system:serviceaccount:ns:sa/x',
    'system:serviceaccount:ns:a..b',
    'system:serviceaccount:ns:.sa',
    `system:serviceaccount:${'n'.repeat(64)}:sa`, // namespace over 63
    `system:serviceaccount:ns:${'s'.repeat(254)}`, // subdomain over 253
    ' system:serviceaccount:ns:sa',
  ])('rejects %j', (username) => {
    expect(parseServiceAccountUsername(username)).toBeNull();
  });

  it('returns null for non-string input', () => {
    expect(parseServiceAccountUsername(undefined as unknown as string)).toBeNull();
  });
});

describe('DNS-1123 helpers', () => {
  it('label and subdomain boundaries', () => {
    expect(isDns1123Label('a'.repeat(63))).toBe(true);
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
    expect(isDns1123Label('a.b')).toBe(false);
    expect(isDns1123Subdomain('a.b')).toBe(true);
    expect(isDns1123Subdomain(`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(61))).toBe(true);
    expect(isDns1123Subdomain(`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(62))).toBe(false);
    expect(isDns1123Subdomain('')).toBe(false);
  });
});

describe('spiffeIdForUsername', () => {
  it('maps a ServiceAccount user to its SPIFFE ID', () => {
    expect(spiffeIdForUsername('cluster.local', 'system:serviceaccount:ns1:sa1')?.toString()).toBe(
      'spiffe://cluster.local/ns/ns1/sa/sa1',
    );
  });

  it('returns null for non-ServiceAccount users', () => {
    expect(spiffeIdForUsername('cluster.local', 'alice')).toBeNull();
    expect(spiffeIdForUsername('cluster.local', 'system:serviceaccount:ns')).toBeNull();
  });

  it('throws SpiffeIdError for an invalid trust domain', () => {
    expect(() => spiffeIdForUsername('Bad.TD', 'system:serviceaccount:ns:sa')).toThrow(
      SpiffeIdError,
    );
  });
});
