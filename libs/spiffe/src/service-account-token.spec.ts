import { describe, expect, it } from 'vitest';
import { readServiceAccountTokenClaims } from './service-account-token';

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const SIGNATURE = 'c2lnbmF0dXJlLWJ5dGVz';
const jwt = (payload: unknown, header: unknown = { alg: 'RS256', kid: 'k1' }): string =>
  `${b64(header)}.${b64(payload)}.${SIGNATURE}`;

const projected = {
  aud: ['https://kubernetes.default.svc'],
  exp: 1_900_000_000,
  iat: 1_899_996_400,
  iss: 'https://kubernetes.default.svc',
  'kubernetes.io': {
    namespace: 'team-a',
    pod: { name: 'web-0', uid: '4c7b0ab2-52a1-4e3f-9a84-3c8f2a0b5d11' },
    serviceaccount: { name: 'web', uid: 'b1b2c3d4-0000-4000-8000-000000000000' },
  },
  sub: 'system:serviceaccount:team-a:web',
};

describe('readServiceAccountTokenClaims: valid tokens', () => {
  it('reads projected-token claims', () => {
    expect(readServiceAccountTokenClaims(jwt(projected))).toEqual({
      namespace: 'team-a',
      serviceAccount: 'web',
      podName: 'web-0',
      podUid: '4c7b0ab2-52a1-4e3f-9a84-3c8f2a0b5d11',
      expiresAt: new Date(1_900_000_000_000),
    });
  });

  it.each(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'])(
    'accepts alg %s',
    (alg) => {
      expect(readServiceAccountTokenClaims(jwt(projected, { alg })).namespace).toBe('team-a');
    },
  );

  it('reads legacy flat claims (no pod, no exp)', () => {
    const legacy = {
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/namespace': 'kube-system',
      'kubernetes.io/serviceaccount/service-account.name': 'legacy-sa',
      'kubernetes.io/serviceaccount/secret.name': 'legacy-sa-token-abcde',
    };
    expect(readServiceAccountTokenClaims(jwt(legacy))).toEqual({
      namespace: 'kube-system',
      serviceAccount: 'legacy-sa',
    });
  });

  it('tolerates surrounding whitespace (token files end in a newline)', () => {
    expect(readServiceAccountTokenClaims(`${jwt(projected)}\n`).serviceAccount).toBe('web');
  });

  it('omits pod fields for a token not bound to a pod', () => {
    const claims = readServiceAccountTokenClaims(
      jwt({ 'kubernetes.io': { namespace: 'ns', serviceaccount: { name: 'sa' } } }),
    );
    expect(claims).toEqual({ namespace: 'ns', serviceAccount: 'sa' });
  });
});

const withK8s = (k8s: unknown) => jwt({ exp: 1, 'kubernetes.io': k8s });

describe('readServiceAccountTokenClaims: invalid tokens', () => {
  it.each([
    ['empty', '', /is empty/],
    ['one part', 'abc', /3 parts/],
    ['two parts', 'abc.def', /3 parts/],
    ['four parts', `${jwt(projected)}.x`, /3 parts/],
    ['JWS JSON serialization', JSON.stringify({ payload: 'x', signatures: [] }), /3 parts/],
    ['no signature', `${b64({ alg: 'RS256' })}.${b64(projected)}.`, /no signature/],
    ['signature not base64url', `${b64({ alg: 'RS256' })}.${b64(projected)}.a+b/`, /signature/],
    ['header not base64url', `a*b.${b64(projected)}.${SIGNATURE}`, /header is not base64url/],
    ['header impossible length', `abcde.${b64(projected)}.${SIGNATURE}`, /header is not base64url/],
    [
      'header not JSON',
      `${b64('not json')}.${b64(projected)}.${SIGNATURE}`,
      /header is not valid JSON/,
    ],
    ['header an array', jwt(projected, ['RS256']), /header is not a JSON object/],
    [
      'payload not JSON',
      `${b64({ alg: 'RS256' })}.${b64('{')}.${SIGNATURE}`,
      /payload is not valid JSON/,
    ],
    ['payload null', jwt(null), /payload is not a JSON object/],
    [
      'payload padded base64',
      `${b64({ alg: 'RS256' })}.${b64(projected)}==.${SIGNATURE}`,
      /payload is not base64url/,
    ],
    ['alg none', jwt(projected, { alg: 'none' }), /alg is not one of/],
    ['alg HS256', jwt(projected, { alg: 'HS256' }), /alg is not one of/],
    ['alg lowercase', jwt(projected, { alg: 'rs256' }), /alg is not one of/],
    ['alg EdDSA', jwt(projected, { alg: 'EdDSA' }), /alg is not one of/],
    ['alg missing', jwt(projected, { typ: 'JWT' }), /alg is not one of/],
    ['alg not a string', jwt(projected, { alg: 256 }), /alg is not one of/],
    ['no identity claims', jwt({ sub: 'x', exp: 1 }), /namespace is missing/],
    ['kubernetes.io not an object', withK8s('team-a'), /kubernetes.io is not an object/],
    ['namespace missing', withK8s({ serviceaccount: { name: 'sa' } }), /namespace is missing/],
    [
      'namespace empty',
      withK8s({ namespace: '', serviceaccount: { name: 'sa' } }),
      /namespace is missing/,
    ],
    [
      'namespace not a string',
      withK8s({ namespace: 1, serviceaccount: { name: 'sa' } }),
      /kubernetes.io.namespace is not a string/,
    ],
    ['serviceaccount missing', withK8s({ namespace: 'ns' }), /service account name is missing/],
    [
      'serviceaccount not an object',
      withK8s({ namespace: 'ns', serviceaccount: 'sa' }),
      /serviceaccount is not an object/,
    ],
    [
      'serviceaccount name empty',
      withK8s({ namespace: 'ns', serviceaccount: { name: '' } }),
      /service account name is missing/,
    ],
    [
      'pod not an object',
      withK8s({ namespace: 'ns', serviceaccount: { name: 'sa' }, pod: 'p' }),
      /pod is not an object/,
    ],
    [
      'pod name not a string',
      withK8s({ namespace: 'ns', serviceaccount: { name: 'sa' }, pod: { name: 5 } }),
      /pod.name is not a string/,
    ],
    [
      'namespace not DNS-1123',
      withK8s({ namespace: 'Team/A', serviceaccount: { name: 'sa' } }),
      /DNS-1123 label/,
    ],
    [
      'service account not DNS-1123',
      withK8s({ namespace: 'ns', serviceaccount: { name: 'a/../b' } }),
      /DNS-1123 subdomain/,
    ],
    [
      'legacy namespace missing',
      jwt({ 'kubernetes.io/serviceaccount/service-account.name': 'sa' }),
      /namespace is missing/,
    ],
    ['exp a string', jwt({ ...projected, exp: '1900000000' }), /exp is not a NumericDate/],
    ['exp negative', jwt({ ...projected, exp: -1 }), /exp is not a NumericDate/],
    ['exp out of range', jwt({ ...projected, exp: 1e300 }), /exp is out of range/],
    ['too long', 'a'.repeat(70_000), /longer than/],
  ])('%s', (_name, token, message) => {
    expect(() => readServiceAccountTokenClaims(token)).toThrow(message);
  });

  it('rejects non-string input', () => {
    expect(() => readServiceAccountTokenClaims(undefined as unknown as string)).toThrow(
      /not a string/,
    );
  });

  it('never echoes the token in an error message', () => {
    const secretish = jwt({ ...projected, exp: 'x' });
    const tokens = [
      secretish,
      jwt(projected, { alg: 'none' }),
      `${secretish}.extra`,
      secretish.replace(/\.[^.]+$/, '.'),
    ];
    for (const token of tokens) {
      let message = '';
      try {
        readServiceAccountTokenClaims(token);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      for (const part of token.split('.').filter((p) => p.length > 8)) {
        expect(message).not.toContain(part);
      }
    }
  });
});
