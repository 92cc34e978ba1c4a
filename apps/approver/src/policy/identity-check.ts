import { parseServiceAccountUsername, SpiffeId } from '@spiffe-csi/spiffe';
import { quote } from './describe';
import type { PolicyFailure, PolicyOptions } from './policy-types';

const SA_USERNAME_FORM = 'system:serviceaccount:<namespace>:<name>';

export type FailIdentity = (reason: string) => void;

/**
 * The requester (spec.username, set by cert-manager's webhook from the authenticated user) must be
 * a ServiceAccount, and the one URI SAN must be exactly that ServiceAccount's SPIFFE ID in our
 * trust domain. `uris` is undefined when the CSR could not be read (already reported).
 */
export function checkIdentity(
  username: unknown,
  uris: string[] | undefined,
  options: PolicyOptions,
): PolicyFailure[] {
  const failures: PolicyFailure[] = [];
  const fail = (reason: string) => failures.push({ rule: 'identity', reason });
  let expected: SpiffeId | undefined;
  if (username === undefined || username === null || username === '') {
    fail('spec.username is missing');
  } else {
    const sa = typeof username === 'string' ? parseServiceAccountUsername(username) : null;
    if (!sa) fail(`spec.username ${quote(username)} is not a ServiceAccount (${SA_USERNAME_FORM})`);
    else
      expected = SpiffeId.forServiceAccount(options.trustDomain, sa.namespace, sa.serviceAccount);
  }
  const actual = readUriSan(uris, options, fail);
  if (expected && actual && actual.path !== expected.path) {
    fail(
      `SPIFFE ID ${quote(actual.toString())} does not match the requester; expected ${quote(expected.toString())}`,
    );
  }
  return failures;
}

/**
 * The one URI SAN as a SPIFFE ID, with a failure when it is not one or lies outside our trust
 * domain. A URI SAN count other than one is the subject rule's to report: undefined, no failure.
 */
export function readUriSan(
  uris: string[] | undefined,
  options: PolicyOptions,
  fail: FailIdentity,
): SpiffeId | undefined {
  if (uris?.length !== 1) return undefined;
  let actual: SpiffeId;
  try {
    actual = SpiffeId.parse(uris[0]);
  } catch (err) {
    fail(`URI SAN ${quote(uris[0])} is not a valid SPIFFE ID: ${(err as Error).message}`);
    return undefined;
  }
  const trustDomain = options.trustDomain.toLowerCase();
  if (actual.trustDomain !== trustDomain) {
    fail(`SPIFFE ID trust domain must be ${quote(trustDomain)}, got ${quote(actual.trustDomain)}`);
  }
  return actual;
}
