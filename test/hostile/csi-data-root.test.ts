// Issue 11, attack 3 against the BUILT driver with real mounts: the data root tmpfs is unmounted
// (through the driver itself, or by anyone on the node) while volumes are live. No key may reach
// the disk below; the driver says it is not ready, remounts, re-issues what kubelet republishes,
// and keeps reporting (never silently dropping) renewals whose metadata went with the tmpfs.
import { execFileSync } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMountInfo, topmostMountAt } from '../../apps/csi-driver/src/storage/mountinfo';
import { failureOf } from '../csi-grpc/harness';
import { tokensContextValue } from '../csi-grpc/sa-token';
import { portOf } from '../support/json-process';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from '../e2e/stack';
import { expectNoSecretsLogged, expectWholePair, readPair, requestsCreatedBy, VERBOSE } from '../faults/volume-checks';
import { SecretLedger } from './secret-ledger';
import { eventually } from '../support/eventually';

if (!IS_ROOT) console.warn('test/hostile: not root — skipping the data root loss test (the built driver mounts a tmpfs)');

const mountAt = async (path: string) => topmostMountAt(await readMountInfo(), path);

describe.skipIf(!IS_ROOT)('the data root tmpfs goes away under the built driver (issue 11, attack 3)', () => {
  let stack: Stack;
  let ledger: SecretLedger;
  beforeAll(async () => {
    stack = await startStack({ driverArgs: VERBOSE, approverArgs: VERBOSE });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses to unmount the data root through NodeUnpublishVolume', async () => {
    const victim = stack.pod({ namespace: 'sandbox', serviceAccount: 'victim' });
    await stack.publish(victim);
    const failure = await failureOf(stack.csi.node.NodeUnpublishVolume({ volume_id: victim.volumeId, target_path: stack.dataRoot }));
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect((await mountAt(stack.dataRoot))?.fsType).toBe('tmpfs');
    expectWholePair(readPair(victim.targetPath), `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/victim`);
    await stack.unpublish(victim);
  });

  it('lost anyway: not ready, keys only ever on a tmpfs, republished volumes re-issued, renewals reported', async () => {
    const old = stack.pod({ namespace: 'sandbox', serviceAccount: 'old' });
    await stack.publish(old);
    stack.issuer.setCertDuration(6_000); // due ~4 s after issuance: comes due while the tmpfs is gone
    const renewing = stack.pod({ namespace: 'sandbox', serviceAccount: 'renewing' });
    await stack.publish(renewing);
    stack.issuer.setCertDuration(undefined);
    const before = readPair(old.targetPath);
    ledger.captureKeysUnder(old.targetPath);

    execFileSync('umount', ['-l', stack.dataRoot]); // what the old driver did to itself, or anyone on the node
    expect(await stack.csi.identity.Probe({})).toEqual({ ready: { value: false } });
    const readyz = await fetch(`http://127.0.0.1:${portOf(stack.driver.listening.readinessAddress)}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.text()).toMatch(/data root .* was unmounted/);

    // The renewal that comes due finds no metadata: it is logged, counted and retried, not dropped.
    await stack.driver.waitForLog((l) => /renewal postponed/.test(String(l.msg)) && l.volumeId === renewing.volumeId, 20_000);

    // A new publish: the driver remounts a tmpfs first, so the new key lands in memory, not on disk.
    const newcomer = stack.pod({ namespace: 'sandbox', serviceAccount: 'newcomer' });
    await stack.publish(newcomer);
    const root = await mountAt(stack.dataRoot);
    expect(root?.fsType).toBe('tmpfs');
    expect(await mountAt(newcomer.targetPath)).toMatchObject({ fsType: 'tmpfs', device: root?.device, root: `/${newcomer.volumeId}/data` });
    expect(stack.driver.logs.some((l) => l.msg === 'data root tmpfs lost: nothing is written until a tmpfs is back')).toBe(true);
    expect(await stack.csi.identity.Probe({})).toEqual({ ready: { value: true } });

    // The running Pod still reads its old (valid) files. Its metadata is gone, but the identity its
    // stale bind shows still binds the volume: a genuine token of another ServiceAccount without a
    // pod claim (a legacy token) cannot have it re-issued for itself.
    expect(readPair(old.targetPath)).toEqual(before);
    const intruder = old.request as { volume_context: Record<string, string> };
    intruder.volume_context['csi.storage.k8s.io/serviceAccount.name'] = 'intruder';
    intruder.volume_context['csi.storage.k8s.io/serviceAccount.tokens'] =
      tokensContextValue(stack.sim.serviceAccountToken('sandbox', 'intruder'));
    const denied = await failureOf(stack.csi.node.NodePublishVolume(intruder));
    expect(denied).toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringMatching(/another identity/) });
    expect(requestsCreatedBy(stack, 'intruder')).toBe(0);
    await stack.publish(old);
    expect(requestsCreatedBy(stack, 'old')).toBe(2);
    expect(await mountAt(old.targetPath)).toMatchObject({ device: root?.device, root: `/${old.volumeId}/data` });
    expectWholePair(readPair(old.targetPath), `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/old`);
    const events = () => stack.sim.store.list('events') as unknown as { reason: string; involvedObject: { name: string } }[];
    await eventually(() => events().some((e) => e.reason === 'SvidReissued' && e.involvedObject.name === old.pod.name), 10_000, 'the Event');

    for (const pod of [old, renewing, newcomer]) {
      ledger.captureKeysUnder(pod.targetPath);
      await stack.unpublish(pod);
    }
    expect(await mountAt(old.targetPath)).toBeUndefined();
    expect(await mountAt(renewing.targetPath)).toBeUndefined(); // its bind into the lost tmpfs is ours too
    expectNoSecretsLogged(stack, ledger);
  }, 60_000);
});
