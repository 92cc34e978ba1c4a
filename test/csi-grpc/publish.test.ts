import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CsiError } from '../../apps/csi-driver/src/csi/csi-error';
import { failureOf, type RunningDriver, startDriver } from './harness';
import { makeServiceAccountJwt, tokensContextValue, validPublishFixture } from './sa-token';

const TOKENS = 'csi.storage.k8s.io/serviceAccount.tokens';

describe('NodePublishVolume / NodeUnpublishVolume over a unix socket', () => {
  let driver: RunningDriver;
  beforeAll(async () => {
    driver = await startDriver();
  });
  afterAll(() => driver.stop());
  beforeEach(() => {
    driver.manager.published.length = 0;
    driver.manager.unpublished.length = 0;
    driver.manager.publishError = undefined;
    driver.log.lines.length = 0;
  });

  it('hands a valid request to the volume manager as a PublishRequest', async () => {
    const { request, token } = validPublishFixture({ namespace: 'team-a', serviceAccount: 'web' });
    request.volume_capability.mount.volume_mount_group = '1234';
    expect(await driver.client.node.NodePublishVolume(request)).toEqual({});
    expect(driver.manager.published).toHaveLength(1);
    const [published] = driver.manager.published;
    expect(published).toMatchObject({
      volumeId: request.volume_id,
      targetPath: request.target_path,
      volumeContext: request.volume_context,
      fsGroup: 1234,
      identity: {
        namespace: 'team-a',
        serviceAccount: 'web',
        spiffeId: 'spiffe://example.org/ns/team-a/sa/web',
        token,
        podName: 'app-7d9f',
        podUid: '0c9f1f6e-5a43-4f0b-9d61-3a1f7d3c2b10',
      },
    });
    expect(published.identity.tokenExpiresAt).toBeInstanceOf(Date);
  });

  const invalid: [
    string,
    (r: ReturnType<typeof validPublishFixture>['request']) => void,
    string | RegExp,
  ][] = [
    ['missing volume_id', (r) => (r.volume_id = ''), 'volume_id is required'],
    ['missing target_path', (r) => (r.target_path = ''), 'target_path is required'],
    [
      'missing volume_capability',
      (r) => delete (r as Partial<typeof r>).volume_capability,
      'volume_capability is required',
    ],
    [
      'block capability',
      (r) =>
        (r.volume_capability = { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } } as never),
      /must be a filesystem mount/,
    ],
    [
      'not ephemeral',
      (r) => delete r.volume_context['csi.storage.k8s.io/ephemeral'],
      /^only ephemeral volume types are supported: /,
    ],
    [
      'readonly false',
      (r) => (r.readonly = false),
      "pod.spec.volumes[].csi.readOnly must be set to 'true'",
    ],
    [
      'missing tokens',
      (r) => delete r.volume_context[TOKENS],
      /must request a token for the empty audience/,
    ],
    [
      'unreadable token',
      (r) => (r.volume_context[TOKENS] = tokensContextValue('x.y')),
      /^cannot read the empty-audience service account token/,
    ],
    [
      'namespace mismatch',
      (r) => (r.volume_context['csi.storage.k8s.io/pod.namespace'] = 'other'),
      /does not match/,
    ],
    [
      'bad fs-group',
      (r) => (r.volume_context['spiffe.csi.cert-manager.io/fs-group'] = '0'),
      /fs-group" must be an integer between 1 and 4294967295/,
    ],
    ['unsafe volume_id', (r) => (r.volume_id = '../../etc'), /volume_id must be/],
    [
      'relative target_path',
      (r) => (r.target_path = 'mount'),
      'target_path must be an absolute path',
    ],
    [
      'expired token',
      (r) =>
        (r.volume_context[TOKENS] = tokensContextValue(makeServiceAccountJwt({ exp: 1_000_000 }))),
      /^the service account token expired at 1970-01-12T13:46:40.000Z/,
    ],
  ];

  it.each(invalid)(
    'rejects %s with INVALID_ARGUMENT before calling the manager',
    async (_n, mutate, message) => {
      const { request } = validPublishFixture();
      mutate(request);
      const failure = await failureOf(driver.client.node.NodePublishVolume(request));
      expect(failure.code).toBe(status.INVALID_ARGUMENT);
      if (typeof message === 'string') expect(failure.details).toBe(message);
      else expect(failure.details).toMatch(message);
      expect(driver.manager.published).toHaveLength(0);
    },
  );

  it('surfaces a CsiError from the manager with its own code and message', async () => {
    driver.manager.publishError = new CsiError(
      status.DEADLINE_EXCEEDED,
      'CertificateRequest not signed within 60s',
    );
    const failure = await failureOf(
      driver.client.node.NodePublishVolume(validPublishFixture().request),
    );
    expect(failure).toEqual({
      code: status.DEADLINE_EXCEEDED,
      details: 'CertificateRequest not signed within 60s',
    });
    const warn = driver.log.entries().find((e) => e.msg === 'gRPC call failed');
    expect(warn).toMatchObject({
      level: 40,
      rpc: 'Node/NodePublishVolume',
      code: 'DEADLINE_EXCEEDED',
    });
  });

  it('turns an unexpected error into INTERNAL without leaking its text, and scrubs the token from the log', async () => {
    const { request, token } = validPublishFixture();
    driver.manager.publishError = new Error(`request failed: Authorization: Bearer ${token}`);
    const failure = await failureOf(driver.client.node.NodePublishVolume(request));
    expect(failure).toEqual({
      code: status.INTERNAL,
      details: "Node/NodePublishVolume: internal error in the CSI driver; see the driver's logs",
    });
    const entry = driver.log.entries().find((e) => e.msg === 'gRPC call failed');
    expect(entry).toMatchObject({
      level: 50,
      code: 'INTERNAL',
      cause: 'Error: request failed: Authorization: Bearer [REDACTED]',
    });
    expect(driver.log.text).not.toContain(token);
  });

  it('logs each outcome with the RPC and its duration', async () => {
    await driver.client.node.NodePublishVolume(validPublishFixture().request);
    expect(driver.log.entries().find((e) => e.msg === 'gRPC call succeeded')).toMatchObject({
      level: 20,
      rpc: 'Node/NodePublishVolume',
      response: {},
      durationMs: expect.any(Number),
    });
    driver.manager.publishError = new Error('boom');
    await failureOf(driver.client.node.NodePublishVolume(validPublishFixture().request));
    expect(driver.log.entries().find((e) => e.msg === 'gRPC call failed')).toMatchObject({
      level: 50,
      rpc: 'Node/NodePublishVolume',
      grpcCode: status.INTERNAL,
      durationMs: expect.any(Number),
    });
  });

  it('logs the request at debug without the token or secrets', async () => {
    const { request, token } = validPublishFixture();
    request.secrets = { password: 'hunter2-very-secret' };
    await driver.client.node.NodePublishVolume(request);
    const call = driver.log
      .entries()
      .find((e) => e.msg === 'gRPC call' && e.rpc === 'Node/NodePublishVolume');
    expect(call).toBeDefined();
    const logged = call!.request as {
      volume_context: Record<string, string>;
      secrets?: unknown;
      volume_id: string;
    };
    expect(logged.volume_id).toBe(request.volume_id);
    expect(logged.volume_context[TOKENS]).toBe('[REDACTED]');
    expect(logged.secrets).toBeUndefined();
    expect(driver.log.text).not.toContain(token.split('.')[1]);
    expect(driver.log.text).not.toContain('hunter2-very-secret');
  });

  it('unpublishes a valid volume and rejects an unsafe one', async () => {
    const target = '/var/lib/kubelet/pods/p/volumes/kubernetes.io~csi/spiffe/mount';
    expect(
      await driver.client.node.NodeUnpublishVolume({ volume_id: 'csi-abc', target_path: target }),
    ).toEqual({});
    expect(driver.manager.unpublished).toEqual([{ volumeId: 'csi-abc', targetPath: target }]);
    const failure = await failureOf(
      driver.client.node.NodeUnpublishVolume({ volume_id: '..', target_path: target }),
    );
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(driver.manager.unpublished).toHaveLength(1);
  });
});
