import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from '../e2e/stack';
import { SecretLedger, type LogSource } from '../hostile/secret-ledger';
import { expectNoSecretsLogged, expectWholePair, mountsUnder, readPair, requestsCreatedBy, VERBOSE, volumeDirs } from './volume-checks';
import { eventually } from '../support/eventually';

if (!IS_ROOT) console.warn('test/faults: not root — skipping the driver crash test (needs tmpfs and bind mounts)');

describe.skipIf(!IS_ROOT)('driver SIGKILLed in the middle of an issuance', () => {
  let stack: Stack;
  let ledger: SecretLedger;
  const killedDrivers: LogSource[] = [];
  beforeAll(async () => {
    stack = await startStack({ driverArgs: VERBOSE, approverArgs: VERBOSE });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('kubelet\'s retry completes with at most one extra request, no orphans, other mounts intact', async () => {
    const bystander = stack.pod({ namespace: 'sandbox', serviceAccount: 'bystander' });
    await stack.publish(bystander);
    const bystanderBefore = readPair(bystander.targetPath);

    // The issuer answers after 3 s; the driver is killed while it waits for that answer.
    stack.issuer.setDelay(3_000);
    const victim = stack.pod({ namespace: 'sandbox', serviceAccount: 'victim' });
    const interrupted = stack.publish(victim).then(() => 'ok', (e: { code: number }) => e.code);
    await stack.driver.waitForLog((l) => l.msg === 'certificate request created' && l.volumeId === victim.volumeId, 20_000);
    killedDrivers.push({ name: 'killed csi-driver', logs: stack.driver.logs, stderr: stack.driver.stderr });
    await stack.restartDriver('SIGKILL');
    expect(await interrupted).toBe(14); // UNAVAILABLE: the connection died with the process

    // Kubelet retries NodePublishVolume with backoff until it succeeds.
    await eventually(async () => stack.publish(victim).then(() => true, () => false), 30_000, 'the retried publish');
    const victimPair = readPair(victim.targetPath);
    expectWholePair(victimPair, `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/victim`);
    expect(mountsUnder(victim.targetPath)).toEqual([victim.targetPath]);
    // The pending key died with the process, so the retry may need one new request — never more.
    expect(requestsCreatedBy(stack, 'victim')).toBeGreaterThanOrEqual(1);
    expect(requestsCreatedBy(stack, 'victim')).toBeLessThanOrEqual(2);

    // The other Pod never noticed: same files, same single bind mount, one request.
    expect(readPair(bystander.targetPath)).toEqual(bystanderBefore);
    expect(mountsUnder(bystander.targetPath)).toEqual([bystander.targetPath]);
    expect(requestsCreatedBy(stack, 'bystander')).toBe(1);
    // Exactly the two volumes live on the data root: nothing half-made from the killed attempt.
    expect(volumeDirs(stack.dataRoot)).toEqual([bystander.volumeId, victim.volumeId].sort());

    ledger.captureKeysUnder(victim.targetPath);
    ledger.captureKeysUnder(bystander.targetPath);
    await stack.unpublish(victim);
    await stack.unpublish(bystander);
    expect(volumeDirs(stack.dataRoot)).toEqual([]);
    expect(existsSync(join(stack.dataRoot, victim.volumeId))).toBe(false);
    expect(mountsUnder(stack.podsDir)).toEqual([]);
    expectNoSecretsLogged(stack, ledger, killedDrivers);
  }, 90_000);
});
