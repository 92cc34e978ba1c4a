import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  makeServiceAccountJwt,
  tokensContextValue,
  validPublishFixture,
} from '../../../../test/csi-grpc/sa-token';
import { CsiError } from './csi-error';
import type { NodePublishVolumeRequest } from './csi-types';
import {
  type PublishValidationOptions,
  READONLY_REQUIRED_MESSAGE,
  validatePublishRequest,
  validateUnpublishRequest,
} from './publish-request';

const TOKENS = 'csi.storage.k8s.io/serviceAccount.tokens';
const options: PublishValidationOptions = { trustDomain: 'example.org', kubeletRootDir: '/var/lib/kubelet' };
const UID = '0c9f1f6e-5a43-4f0b-9d61-3a1f7d3c2b10';
const PODS = '/var/lib/kubelet/pods';

type Mutable = ReturnType<typeof validPublishFixture>['request'] & Record<string, unknown>;

function build(mutate: (r: Mutable) => void = () => {}): NodePublishVolumeRequest {
  const { request } = validPublishFixture();
  mutate(request as Mutable);
  return request as unknown as NodePublishVolumeRequest;
}

function rejection(req: NodePublishVolumeRequest, opts = options): CsiError {
  try {
    validatePublishRequest(req, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(CsiError);
    return err as CsiError;
  }
  throw new Error('request was accepted');
}

describe('validatePublishRequest', () => {
  it('maps a valid kubelet request to the PublishRequest seam', () => {
    const { request, token } = validPublishFixture({ namespace: 'team-a', serviceAccount: 'web' });
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp;
    const out = validatePublishRequest(request as unknown as NodePublishVolumeRequest, options);
    expect(out).toEqual({
      volumeId: request.volume_id,
      targetPath: request.target_path,
      volumeContext: request.volume_context,
      identity: {
        namespace: 'team-a',
        serviceAccount: 'web',
        spiffeId: 'spiffe://example.org/ns/team-a/sa/web',
        token,
        tokenExpiresAt: new Date(exp * 1000),
        podName: 'app-7d9f',
        podUid: '0c9f1f6e-5a43-4f0b-9d61-3a1f7d3c2b10',
      },
    });
    expect(out.fsGroup).toBeUndefined();
  });

  it('takes the fs-group attribute over volume_mount_group, and volume_mount_group otherwise', () => {
    const both = build((r) => {
      r.volume_context['spiffe.csi.cert-manager.io/fs-group'] = '2000';
      r.volume_capability.mount.volume_mount_group = '3000';
    });
    expect(validatePublishRequest(both, options).fsGroup).toBe(2000);
    const mountGroupOnly = build(
      (r) => (r.volume_capability.mount.volume_mount_group = '4294967295'),
    );
    expect(validatePublishRequest(mountGroupOnly, options).fsGroup).toBe(4294967295);
  });

  it('accepts a token without pod claims and fills pod facts from the volume context', () => {
    const req = build((r) => {
      const legacy = {
        'kubernetes.io/serviceaccount/namespace': 'sandbox',
        'kubernetes.io/serviceaccount/service-account.name': 'app',
      };
      const jwt = [{ alg: 'RS256' }, legacy].map((p) =>
        Buffer.from(JSON.stringify(p)).toString('base64url'),
      );
      r.volume_context[TOKENS] = tokensContextValue(
        `${jwt.join('.')}.c2ln`,
        new Date(Date.now() + 60_000),
      );
    });
    const out = validatePublishRequest(req, options);
    expect(out.identity.podName).toBe('app-7d9f');
    expect(out.identity.tokenExpiresAt).toBeInstanceOf(Date);
  });

  const expired = Math.floor(Date.now() / 1000) - 10;
  const cases: [string, (r: Mutable) => void, string | RegExp][] = [
    ['missing volume_id', (r) => (r.volume_id = ''), 'volume_id is required'],
    ['volume_id with a slash', (r) => (r.volume_id = 'a/b'), /volume_id must be 1-253 characters/],
    ['volume_id ".."', (r) => (r.volume_id = '..'), /not "\." or "\.\."/],
    ['volume_id too long', (r) => (r.volume_id = 'a'.repeat(254)), /volume_id must be/],
    ['missing target_path', (r) => (r.target_path = ''), 'target_path is required'],
    [
      'relative target_path',
      (r) => (r.target_path = 'pods/x/mount'),
      'target_path must be an absolute path',
    ],
    [
      'target_path with ..',
      (r) => (r.target_path = '/var/lib/../etc'),
      /must not contain "\.\." segments/,
    ],
    ['non-normalised target_path', (r) => (r.target_path = '/var//lib/x'), /must be normalised/],
    ['trailing slash target_path', (r) => (r.target_path = '/var/lib/x/'), /must be normalised/],
    [
      'target_path over 4096 bytes',
      (r) => (r.target_path = '/' + 'a'.repeat(4096)),
      /longer than 4096 bytes/,
    ],
    // Confinement to kubelet's own layout (issue 11, attack 4): nothing else is kubelet asking.
    ['target_path outside the kubelet root', (r) => (r.target_path = `/etc/spiffe/${UID}/mount`), /must have kubelet's shape/],
    ['target_path in another kubelet root', (r) => (r.target_path = `/var/lib/kubelet2/pods/${UID}/volumes/kubernetes.io~csi/spiffe/mount`), /must have kubelet's shape/],
    ['target_path in the data root', (r) => (r.target_path = '/csi-data-dir/csi-x/data'), /must have kubelet's shape/],
    ['target_path one level too deep', (r) => (r.target_path = `${PODS}/${UID}/volumes/kubernetes.io~csi/spiffe/mount/x`), /must have kubelet's shape/],
    ['target_path without /mount', (r) => (r.target_path = `${PODS}/${UID}/volumes/kubernetes.io~csi/spiffe`), /must have kubelet's shape/],
    ['target_path of another plugin', (r) => (r.target_path = `${PODS}/${UID}/volumes/kubernetes.io~secret/spiffe/mount`), /must have kubelet's shape/],
    ['target_path of another pod', (r) => (r.target_path = `${PODS}/11111111-2222-3333-4444-555555555555/volumes/kubernetes.io~csi/spiffe/mount`), /belongs to pod UID "11111111-/],
    ['target_path volume name not a label', (r) => (r.target_path = `${PODS}/${UID}/volumes/kubernetes.io~csi/Spiffe_X/mount`), /not a DNS-1123 label/],
    ['target_path pod UID not a UID', (r) => (r.target_path = `${PODS}/..x/volumes/kubernetes.io~csi/spiffe/mount`), /not a pod UID/],
    ['no pod UID in the context', (r) => delete r.volume_context['csi.storage.k8s.io/pod.uid'], /podInfoOnMount: true/],
    [
      'missing volume_capability',
      (r) => (r.volume_capability = null as never),
      'volume_capability is required',
    ],
    [
      'block volume_capability',
      (r) =>
        (r.volume_capability = { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } } as never),
      /must be a filesystem mount/,
    ],
    [
      'huge volume context',
      (r) => (r.volume_context.padding = 'x'.repeat(70_000)),
      /volume_context is too large \(\d+ bytes, limit 65536\)/,
    ],
    [
      'not ephemeral',
      (r) => delete r.volume_context['csi.storage.k8s.io/ephemeral'],
      /^only ephemeral volume types are supported: /,
    ],
    [
      'ephemeral "false"',
      (r) => (r.volume_context['csi.storage.k8s.io/ephemeral'] = 'false'),
      /^only ephemeral/,
    ],
    ['readonly false', (r) => (r.readonly = false), READONLY_REQUIRED_MESSAGE],
    [
      'missing tokens',
      (r) => delete r.volume_context[TOKENS],
      /is missing: the CSIDriver object must request a token for the empty audience/,
    ],
    ['tokens not JSON', (r) => (r.volume_context[TOKENS] = '{nope'), /is not valid JSON/],
    [
      'tokens not an object',
      (r) => (r.volume_context[TOKENS] = '[]'),
      /must be a JSON object keyed by audience/,
    ],
    [
      'no empty-audience token',
      (r) =>
        (r.volume_context[TOKENS] = JSON.stringify({ vault: { token: makeServiceAccountJwt() } })),
      /has no token for the empty audience: the CSIDriver object must request/,
    ],
    [
      'empty-audience entry without token',
      (r) => (r.volume_context[TOKENS] = '{"":{}}'),
      /has no "token" string/,
    ],
    [
      'bad expirationTimestamp',
      (r) =>
        (r.volume_context[TOKENS] = JSON.stringify({
          '': { token: makeServiceAccountJwt(), expirationTimestamp: 'soon' },
        })),
      /unparsable "expirationTimestamp"/,
    ],
    [
      'token not a JWT',
      (r) => (r.volume_context[TOKENS] = tokensContextValue('not-a-jwt')),
      /^cannot read the empty-audience service account token: /,
    ],
    [
      'token with alg none',
      (r) =>
        (r.volume_context[TOKENS] = tokensContextValue(makeServiceAccountJwt({ alg: 'none' }))),
      /cannot read the empty-audience service account token: alg/,
    ],
    [
      'namespace mismatch',
      (r) => (r.volume_context['csi.storage.k8s.io/pod.namespace'] = 'other'),
      /token's namespace "sandbox" does not match volume_context\["csi.storage.k8s.io\/pod.namespace"\] "other"/,
    ],
    [
      'service account mismatch',
      (r) => (r.volume_context['csi.storage.k8s.io/serviceAccount.name'] = 'admin'),
      /token's service account "app" does not match/,
    ],
    [
      'pod uid mismatch',
      (r) => (r.volume_context['csi.storage.k8s.io/pod.uid'] = 'another-uid'),
      /token's pod UID/,
    ],
    [
      'expired token',
      (r) =>
        (r.volume_context[TOKENS] = tokensContextValue(makeServiceAccountJwt({ exp: expired }))),
      /^the service account token expired at .*Z; kubelet refreshes it/,
    ],
    [
      'fs-group not a number',
      (r) => (r.volume_context['spiffe.csi.cert-manager.io/fs-group'] = 'wheel'),
      'volume attribute "spiffe.csi.cert-manager.io/fs-group" must be an integer between 1 and 4294967295, got "wheel"',
    ],
    [
      'workload-api attribute neither true nor false',
      (r) => (r.volume_context['spiffe.csi.cert-manager.io/workload-api'] = 'False'),
      'volume attribute spiffe.csi.cert-manager.io/workload-api must be "true" or "false", not "False"',
    ],
    [
      'fs-group zero',
      (r) => (r.volume_context['spiffe.csi.cert-manager.io/fs-group'] = '0'),
      /must be an integer between 1 and 4294967295, got "0"/,
    ],
    [
      'fs-group negative',
      (r) => (r.volume_context['spiffe.csi.cert-manager.io/fs-group'] = '-5'),
      /got "-5"/,
    ],
    [
      'fs-group too big',
      (r) => (r.volume_context['spiffe.csi.cert-manager.io/fs-group'] = '4294967296'),
      /got "4294967296"/,
    ],
    [
      'fs-group with spaces',
      (r) => (r.volume_context['spiffe.csi.cert-manager.io/fs-group'] = ' 12'),
      /got " 12"/,
    ],
    [
      'volume_mount_group not a number',
      (r) => (r.volume_capability.mount.volume_mount_group = '1e3'),
      /^volume_capability.mount.volume_mount_group must be an integer/,
    ],
  ];

  it.each(cases)('rejects %s with INVALID_ARGUMENT', (_name, mutate, message) => {
    const err = rejection(build(mutate));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
  });

  it('never echoes the token in a rejection message', () => {
    const { request, token } = validPublishFixture();
    request.volume_context['csi.storage.k8s.io/pod.namespace'] = 'other';
    const err = rejection(request as unknown as NodePublishVolumeRequest);
    expect(err.message).not.toContain(token.split('.')[1]);
  });

  it('checks expiry against the given clock', () => {
    const { request } = validPublishFixture({ exp: 2_000_000_000 });
    const req = request as unknown as NodePublishVolumeRequest;
    expect(() =>
      validatePublishRequest(req, { ...options, now: new Date(1_999_999_999_000) }),
    ).not.toThrow();
    expect(rejection(req, { ...options, now: new Date(2_000_000_000_000) }).message).toMatch(
      /expired at 2033-05-18T03:33:20.000Z/,
    );
  });
});

describe('validateUnpublishRequest', () => {
  it('returns the checked id and path', () => {
    expect(
      validateUnpublishRequest(
        { volume_id: 'csi-abc', target_path: `${PODS}/${UID}/volumes/kubernetes.io~csi/spiffe/mount` },
        options,
      ),
    ).toEqual({
      volumeId: 'csi-abc',
      targetPath: `${PODS}/${UID}/volumes/kubernetes.io~csi/spiffe/mount`,
    });
  });

  it.each([
    ['', '/t', 'volume_id is required'],
    ['../x', '/t', /volume_id must be/],
    ['v', '', 'target_path is required'],
    ['v', 'relative', 'target_path must be an absolute path'],
    ['v', '/a/../b', /"\.\." segments/],
    ['v', '/', 'target_path must not be the root directory'],
    ['v', '/a\0b', 'target_path must not contain NUL bytes'],
    ['v', '/csi-data-dir', /must have kubelet's shape/],
    ['v', '/var/lib/kubelet/pods/x/mount', /must have kubelet's shape/],
    ['v', `${PODS}/${UID}/volumes/kubernetes.io~csi/spiffe/mount/..data`, /must have kubelet's shape/],
  ])('rejects volume_id=%j target_path=%j', (volumeId, targetPath, message) => {
    let caught: unknown;
    try {
      validateUnpublishRequest({ volume_id: volumeId, target_path: targetPath }, options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CsiError);
    expect((caught as CsiError).code).toBe(status.INVALID_ARGUMENT);
    if (typeof message === 'string') expect((caught as CsiError).message).toBe(message);
    else expect((caught as CsiError).message).toMatch(message);
  });
});
