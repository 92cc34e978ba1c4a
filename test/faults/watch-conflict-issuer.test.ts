import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from '../e2e/stack';
import { SecretLedger } from '../hostile/secret-ledger';
import { expectNoSecretsLogged, expectWholePair, readPair, requestsCreatedBy, VERBOSE } from './volume-checks';
import { eventually } from '../support/eventually';

if (!IS_ROOT) console.warn('test/faults: not root — skipping the watch/conflict/issuer fault tests (need tmpfs and bind mounts)');

type StoredRequest = { metadata: { name: string }; spec: { username: string } };
type StoredEvent = { reason: string; type: string; message: string; involvedObject: { name: string; kind: string } };

// The approver's own suites (test/approver/watch-faults.test.ts) cover it alone; here the whole
// product rides the same faults at once: approver, CA issuer and the driver's request informer.
describe.skipIf(!IS_ROOT)('dropped watches, 410 Gone, 409 conflicts and a failing issuer, whole stack', () => {
  let stack: Stack;
  let ledger: SecretLedger;
  beforeAll(async () => {
    stack = await startStack({ driverArgs: VERBOSE, approverArgs: VERBOSE });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
  }, 120_000);
  afterEach(() => {
    stack.issuer.setMode('sign');
    stack.issuer.setDelay(0);
    stack.issuer.setCertDuration(undefined);
    stack.sim.faults.reset();
  });
  afterAll(async () => {
    if (stack) expectNoSecretsLogged(stack, ledger);
    await stack?.stop();
  });

  const requestsOf = (sa: string) => (stack.sim.store.list('certificaterequests') as StoredRequest[])
    .filter((r) => r.spec.username === `system:serviceaccount:sandbox:${sa}`);
  const decisionsLogged = (name: string) => stack.approver!.logs.filter((l) => l.name === name && l.result !== undefined).length;

  it('publishes in flight relist after dropped watches and 410 Gone; conflicted status writes decide once', async () => {
    const accounts = ['relist-a', 'relist-b', 'relist-c', 'relist-d'];
    const volumes = accounts.map((serviceAccount) => stack.pod({ namespace: 'sandbox', serviceAccount }));
    // Slow issuance keeps every publish waiting on its request's watch while the faults hit.
    stack.issuer.setDelay(1_500);
    const publishes = volumes.map((v) => stack.publish(v));
    await eventually(() => accounts.every((sa) => requestsCreatedBy(stack, sa) === 1), 20_000, 'all requests to exist');
    stack.sim.faults.conflictNextStatusWrites(3);
    stack.sim.faults.compact(); // any watch resuming from an older resourceVersion now gets 410 Gone
    stack.sim.faults.dropWatches();
    await new Promise((r) => setTimeout(r, 300));
    stack.sim.faults.dropWatches();
    await Promise.all(publishes);
    // Every injected conflict was met (and then retried) by some status writer.
    expect(stack.sim.requests.filter((r) => r.status === 409 && r.path.endsWith('/status'))).toHaveLength(3);

    for (const [i, v] of volumes.entries()) {
      expectWholePair(readPair(v.targetPath), `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/${accounts[i]}`);
      expect(requestsCreatedBy(stack, accounts[i])).toBe(1);
      const [request] = requestsOf(accounts[i]);
      await eventually(() => decisionsLogged(request.metadata.name) > 0, 10_000, 'the decision log line');
      expect(decisionsLogged(request.metadata.name)).toBe(1);
      ledger.captureKeysUnder(v.targetPath);
    }
    ledger.captureRequests(stack.sim);
    for (const v of volumes) await stack.unpublish(v);
  }, 60_000);

  it('a failing issuer at renewal: old files stay, the Pod gets a clear Warning Event, retried later', async () => {
    stack.issuer.setCertDuration(6_000); // renewal due ~4 s after issuance
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'renew-fails' });
    await stack.publish(volume);
    const before = readPair(volume.targetPath);
    ledger.captureKeysUnder(volume.targetPath);
    stack.issuer.setMode('fail');

    const retry = await stack.driver.waitForLog((l) => l.msg === 'renewal will be retried' && l.volumeId === volume.volumeId, 20_000);
    expect(Date.parse(String(retry.retryAt))).toBeGreaterThan(Date.now());
    expect(readPair(volume.targetPath)).toEqual(before);
    const event = await eventually(() => (stack.sim.store.list('events') as unknown as StoredEvent[])
      .find((e) => e.involvedObject.name === volume.pod.name && e.reason === 'SvidIssuanceFailed'), 10_000, 'the Pod Event');
    expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod' } });
    expect(event.message).toMatch(/certificate request sandbox\/.+ failed: .*simulated issuer failure/);
    // The failed attempt made exactly one request on top of the publish's.
    expect(requestsCreatedBy(stack, 'renew-fails')).toBe(2);
    ledger.captureRequests(stack.sim);
    await stack.unpublish(volume);
  }, 60_000);
});
