// What an operator reads: the BUILT apps' own stdout (libs/config createLogger, as main.ts makes
// it), not a test logger. Issue 11 item 8: every `request` field printed [REDACTED], so no log
// line named the CertificateRequest a volume waited on. Names must show; secrets must not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IS_ROOT, startStack, type Stack } from '../e2e/stack';
import { SecretLedger } from '../hostile/secret-ledger';

type Cr = { metadata: { namespace: string; name: string }; spec: { username: string } };
type Line = Record<string, unknown>;

if (!IS_ROOT) console.warn('test/logging: not root — skipping the publish that needs tmpfs and bind mounts');

describe('production logs of the built driver', () => {
  let stack: Stack;
  let ledger: SecretLedger;
  beforeAll(async () => {
    // --log-level=3: the level the README tells operators to use for per-call CSI logs.
    stack = await startStack({ driverArgs: ['--log-level=3'] });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it.skipIf(!IS_ROOT)('name the CertificateRequest and the CSI request, and hold no token, key or CSR', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'log-reader' });
    await stack.publish(volume);
    const [cr] = (stack.sim.store.list('certificaterequests') as unknown as Cr[])
      .filter((r) => r.spec.username === 'system:serviceaccount:sandbox:log-reader');
    const lines = stack.driver.logs as Line[];
    const line = (msg: string) => lines.find((l) => l.msg === msg && l.volumeId === volume.volumeId);

    expect(line('certificate request created')).toMatchObject({ request: `sandbox/${cr.metadata.name}` });
    expect(line('certificate issued')?.request).toContain(cr.metadata.name);
    const call = lines.find((l) => l.msg === 'gRPC call' && l.rpc === 'Node/NodePublishVolume');
    expect(call?.request).toMatchObject({
      volume_id: volume.volumeId,
      target_path: volume.targetPath,
      volume_context: { 'csi.storage.k8s.io/serviceAccount.tokens': '[REDACTED]' },
    });
    expect(JSON.stringify(lines)).not.toContain('"request":"[REDACTED]"');

    ledger.captureRequests(stack.sim);
    ledger.captureKeysUnder(volume.targetPath);
    expect(ledger.size).toBeGreaterThan(3); // a token, its signature, key lines, CSR lines
    await stack.unpublish(volume);
    const sources = [{ name: 'csi-driver', logs: lines, stderr: stack.driver.stderr }];
    if (stack.approver) sources.push({ name: 'approver', logs: stack.approver.logs, stderr: stack.approver.stderr });
    expect(ledger.leaksIn(sources)).toEqual([]);
  });
});
