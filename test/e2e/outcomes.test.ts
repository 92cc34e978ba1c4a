import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../csi-grpc/harness';
import { IS_ROOT, startStack, type Stack } from './stack';
import { eventually } from '../support/eventually';

type Stored = { metadata: { name: string }; spec: { username: string } };
const requestsOf = (stack: Stack, sa: string) =>
  (stack.sim.store.list('certificaterequests') as unknown as Stored[]).filter(
    (r) => r.spec.username === `system:serviceaccount:sandbox:${sa}`,
  );

describe.skipIf(!IS_ROOT)('issuance outcomes surface as CSI errors and leave nothing behind', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ driverArgs: ['--issuance-timeout=2s'] });
  }, 120_000);
  afterEach(() => {
    stack.issuer.setMode('sign');
    stack.issuer.setDelay(0);
    stack.issuer.setUsageOverride(undefined);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const leftovers = (volumeId: string, targetPath: string) => ({
    volumeDir: existsSync(join(stack.dataRoot, volumeId)),
    mounted: existsSync(targetPath) && readdirSync(targetPath).length > 0,
  });

  it('a failing issuer → UNAVAILABLE with cert-manager\'s message, an Event on the Pod, no volume', async () => {
    stack.issuer.setMode('fail');
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'failing' });
    const failure = await failureOf(stack.publish(volume));
    expect(failure.code).toBe(14);
    expect(failure.details).toMatch(/simulated issuer failure/);
    expect(leftovers(volume.volumeId, volume.targetPath)).toEqual({ volumeDir: false, mounted: false });
    // The Event is recorded in the background, after the error has gone back to kubelet.
    const events = () => stack.sim.store.list('events') as unknown as { reason: string; type: string; involvedObject: { name: string } }[];
    await eventually(() => events().some((e) => e.involvedObject.name === volume.pod.name && e.type === 'Warning') || undefined);
  });

  it('an issued leaf that breaks an SVID rule → no files, no mount, no socket, an Event naming the rule; a good issuer heals it', async () => {
    stack.issuer.setUsageOverride(['key encipherment', 'server auth', 'client auth']); // no digitalSignature
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'bad-leaf' });
    const failure = await failureOf(stack.publish(volume));
    expect(failure.code).toBe(13);
    expect(failure.details).toMatch(/^B8: keyUsage lacks digitalSignature \(certificate request sandbox\//);
    expect(leftovers(volume.volumeId, volume.targetPath)).toEqual({ volumeDir: false, mounted: false });
    const events = () => stack.sim.store.list('events') as unknown as { reason: string; message: string; involvedObject: { name: string } }[];
    const event = await eventually(() => events().find((e) => e.involvedObject.name === volume.pod.name && e.reason === 'SvidRejected'));
    expect(event.message).toMatch(/^B8: keyUsage lacks digitalSignature/);

    // The issuance counts as failed: kubelet's retry makes a new request, which a fixed issuer serves.
    stack.issuer.setUsageOverride(undefined);
    await stack.publish(volume);
    expect(readdirSync(volume.targetPath)).toEqual(expect.arrayContaining(['tls.crt', 'credentials.pem', 'bundle.spiffe']));
    await stack.unpublish(volume);
  });

  it('no answer in --issuance-timeout → DEADLINE_EXCEEDED; kubelet\'s retries resume the same request', async () => {
    stack.issuer.setDelay(3_000); // slower than the 2 s timeout, so the first attempt must give up
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'slow' });
    const failure = await failureOf(stack.publish(volume));
    expect(failure.code).toBe(4);
    expect(failure.details).toMatch(/timed out waiting for certificate request sandbox\/.* to be issued/);
    expect(leftovers(volume.volumeId, volume.targetPath)).toEqual({ volumeDir: false, mounted: false });
    expect(requestsOf(stack, 'slow')).toHaveLength(1);

    // kubelet retries with backoff until the publish succeeds.
    for (let attempt = 0; ; attempt++) {
      const outcome = await stack.publish(volume).then(() => 'ok', (e: { code: number }) => e.code);
      if (outcome === 'ok') break;
      expect(outcome).toBe(4);
      expect(attempt).toBeLessThan(5);
    }
    expect(requestsOf(stack, 'slow')).toHaveLength(1);
    expect(readdirSync(volume.targetPath)).toContain('tls.crt');
    await stack.unpublish(volume);
  }, 30_000);
});

describe.skipIf(!IS_ROOT)('the approver\'s denial reaches the Pod', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The driver makes P-256 keys; the approver insists on the default P-521.
    stack = await startStack({ driverArgs: ['--key-algorithm=ecdsa-p256'] });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('a denied request → PERMISSION_DENIED carrying the approver\'s reason, nothing mounted', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'wrong-key' });
    const failure = await failureOf(stack.publish(volume));
    expect(failure.code).toBe(7);
    expect(failure.details).toMatch(/denied/);
    expect(failure.details).toMatch(/P-521/);
    expect(existsSync(join(stack.dataRoot, volume.volumeId))).toBe(false);
  });
});
