import { parseServiceAccountUsername } from '@spiffe-csi/spiffe';
import { quote } from './describe';
import { readUriSan } from './identity-check';
import type { PolicyFailure, PolicyOptions } from './policy-types';

const SERVICE_ACCOUNT_PATH = /^\/ns\/([^/]+)\/sa\/([^/]+)$/;

/**
 * --use-own-service-account: the driver creates every request with its own ServiceAccount, so
 * spec.username names the driver, not the workload, and cannot vouch for the SPIFFE path. The
 * Go original then checks only the requester and the trust domain; we also require the path to
 * be a ServiceAccount's (/ns/<ns>/sa/<sa>) in the request's own namespace, which is where the
 * driver always creates it. Which ServiceAccount it names is trusted to the driver on each node.
 */
export function checkDriverIdentity(
  username: unknown,
  uris: string[] | undefined,
  namespace: unknown,
  options: PolicyOptions & { driverServiceAccount: string },
): PolicyFailure[] {
  const failures: PolicyFailure[] = [];
  const fail = (reason: string) => failures.push({ rule: 'identity', reason });
  if (username === undefined || username === null || username === '') {
    fail('spec.username is missing');
  } else if (username !== options.driverServiceAccount) {
    fail(
      // Our own flag's value is shown whole; only the requester's text is cut.
      `spec.username ${quote(username)} is not the driver's ServiceAccount ${JSON.stringify(options.driverServiceAccount)}`,
    );
  }
  const actual = readUriSan(uris, options, fail);
  if (!actual) return failures;
  const match = SERVICE_ACCOUNT_PATH.exec(actual.path);
  if (!match || !parseServiceAccountUsername(`system:serviceaccount:${match[1]}:${match[2]}`)) {
    fail(`SPIFFE ID path ${quote(actual.path)} is not /ns/<namespace>/sa/<name>`);
  } else if (match[1] !== namespace) {
    fail(
      `SPIFFE ID namespace ${quote(match[1])} is not the request's namespace ${quote(namespace ?? '')}`,
    );
  }
  return failures;
}
