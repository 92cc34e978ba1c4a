import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from '../e2e/stack';
import { SecretLedger } from '../hostile/secret-ledger';
import { expectNoSecretsLogged, expectWholePair, readPair, requestsCreatedBy, VERBOSE, type SvidPair } from './volume-checks';
import { eventually } from '../support/eventually';

if (!IS_ROOT) console.warn('test/faults: not root — skipping the API outage test (needs tmpfs and bind mounts)');

const ACCOUNTS = ['outage-a', 'outage-b', 'outage-c'];

/**
 * The outage starts before the renewals are due and ends once every volume's renewal has failed
 * against it. The driver then backs off for 30 s ±20 % (its fixed first retry delay), so an
 * outage of 60 s, as in the issue, would only add a second failed attempt per volume and a minute
 * of wall time; what is proved is the same: failed attempts keep the files, and the next
 * attempt after recovery renews.
 */
describe.skipIf(!IS_ROOT)('API server down while renewals are due', () => {
  let stack: Stack;
  let ledger: SecretLedger;
  beforeAll(async () => {
    // 6 s certificates: renewal is due about 4 s after issuance.
    stack = await startStack({ certDurationMs: 6_000, driverArgs: VERBOSE, approverArgs: VERBOSE });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
  }, 120_000);
  afterAll(async () => {
    await stack?.sim.faults.comeUp();
    await stack?.stop();
  });

  it('keeps every volume\'s files through the outage and renews all of them after it, one request per attempt', async () => {
    const volumes = ACCOUNTS.map((serviceAccount) => stack.pod({ namespace: 'sandbox', serviceAccount }));
    for (const volume of volumes) await stack.publish(volume);
    const before = new Map<string, SvidPair>(volumes.map((v) => [v.volumeId, readPair(v.targetPath)]));
    for (const volume of volumes) ledger.captureKeysUnder(volume.targetPath);
    ledger.captureRequests(stack.sim);

    await stack.sim.faults.goDown();
    // A Pod reads its files all through the outage: they must always be there, whole and unchanged.
    let reads = 0;
    const damaged: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const v of volumes) {
          reads++;
          try {
            const pair = readPair(v.targetPath);
            if (pair.cert !== before.get(v.volumeId)!.cert || pair.key !== before.get(v.volumeId)!.key) damaged.push(`${v.volumeId}: changed`);
          } catch (err) {
            damaged.push(`${v.volumeId}: ${(err as Error).message}`);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const failedAttempt = (volumeId: string) => stack.driver.logs.some((l) => l.msg === 'renewal will be retried' && l.volumeId === volumeId);
    await eventually(() => volumes.every((v) => failedAttempt(v.volumeId)), 30_000, 'every renewal to fail against the downed API');
    // Past the certificates' notAfter: even expired files stay (a Pod may still present them to
    // peers that tolerate skew; deleting them would only turn a degraded Pod into a broken one).
    await new Promise((r) => setTimeout(r, 2_500));
    watching = false;
    await watcher;
    expect(reads).toBeGreaterThan(volumes.length);
    expect(damaged).toEqual([]);
    // Nothing reached the API while it was down; each volume has only its first request so far.
    for (const sa of ACCOUNTS) expect(requestsCreatedBy(stack, sa)).toBe(1);

    // Certificates issued from now on last an hour, so each volume renews exactly once more.
    stack.issuer.setCertDuration(3_600_000);
    await stack.sim.faults.comeUp();
    for (const v of volumes) {
      const renewed = await eventually(() => {
        const pair = readPair(v.targetPath);
        return pair.cert !== before.get(v.volumeId)!.cert ? pair : undefined;
      }, 60_000, `renewal of ${v.volumeId} after the outage`);
      expectWholePair(renewed, `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/${v.pod.serviceAccount}`);
      expect(renewed.key).not.toBe(before.get(v.volumeId)!.key);
      ledger.captureKeysUnder(v.targetPath);
    }
    // One request for the publish and one for the successful attempt after recovery: the failed
    // attempt created none, and no attempt created two.
    for (const sa of ACCOUNTS) expect(requestsCreatedBy(stack, sa)).toBe(2);

    ledger.captureRequests(stack.sim);
    for (const v of volumes) await stack.unpublish(v);
    expectNoSecretsLogged(stack, ledger);
  }, 120_000);
});
