import { describe, expect, it } from 'vitest';
import { buildCertificateRequest } from './request-builder';
import { checkTokenBinding, TokenBindingError, type TokenReviewStatus } from './token-binding';

const request = (pod?: { name: string; uid: string }) => buildCertificateRequest({
  volumeId: 'v', nodeId: 'n', namespace: 'team-a', spiffeId: 'spiffe://cluster.local/ns/team-a/sa/web',
  csrPem: 'csr', issuerRef: { name: 'ca', kind: 'ClusterIssuer', group: 'cert-manager.io' }, duration: '1h',
  podName: pod?.name, podUid: pod?.uid,
});
const user = (username: string, pod?: { name: string; uid: string }): TokenReviewStatus => ({
  authenticated: true,
  user: { username, extra: pod ? { 'authentication.kubernetes.io/pod-name': [pod.name], 'authentication.kubernetes.io/pod-uid': [pod.uid] } : {} },
});
const POD = { name: 'web-0', uid: 'u1' };
const WEB = 'system:serviceaccount:team-a:web';

function refusal(review: TokenReviewStatus, pod: { name: string; uid: string } | null = POD): TokenBindingError | undefined {
  try {
    checkTokenBinding(review, request(pod ?? undefined));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenBindingError);
    return error as TokenBindingError;
  }
}

describe('checkTokenBinding', () => {
  it('accepts the ServiceAccount the request names, bound to the owning Pod', () => {
    expect(refusal(user(WEB, POD))).toBeUndefined();
    expect(refusal(user(WEB), null)).toBeUndefined(); // a request without an owning Pod
  });

  it.each([
    ['an unauthenticated token', { authenticated: false, error: 'token expired' }, 401, /did not authenticate .*\(token expired\)/],
    ['an empty review', {}, 401, /did not authenticate/],
    ['another ServiceAccount', user('system:serviceaccount:team-a:other', POD), 403, /belongs to another user/],
    ['the same name in another namespace', user('system:serviceaccount:team-b:web', POD), 403, /belongs to another user/],
    ['a user that is not a ServiceAccount', user('admin', POD), 403, /belongs to another user/],
    ['a token bound to another Pod UID', user(WEB, { name: 'web-0', uid: 'u2' }), 403, /not bound to Pod team-a\/web-0/],
    ['a token bound to another Pod name', user(WEB, { name: 'web-1', uid: 'u1' }), 403, /not bound to Pod/],
    ['a token bound to no Pod', user(WEB), 403, /not bound to Pod/],
  ])('refuses %s', (_what, review, code, message) => {
    const error = refusal(review as TokenReviewStatus);
    expect(error?.code).toBe(code);
    expect(error?.message).toMatch(message);
  });
});
