import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateChain, publicKeyMatches } from '@spiffe-csi/crypto';
import { readPair } from '../faults/volume-checks';
import { IS_ROOT, startStack, type Stack } from './stack';

async function waitForNewCert(targetPath: string, previous: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { cert } = readPair(targetPath);
    if (cert !== previous) return cert;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('certificate was not renewed in time');
}

describe.skipIf(!IS_ROOT)('renewal and restart recovery (real tmpfs and bind mounts)', () => {
  let stack: Stack;
  beforeAll(async () => {
    // 6 s certificates: renewal is due at ~4 s (2/3 of the lifetime, minus a little jitter).
    stack = await startStack({ certDurationMs: 6_000 });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('renews at about 2/3 of the lifetime with a new key, swapping files atomically under a reader', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'renew-me' });
    await stack.publish(volume);
    const first = readPair(volume.targetPath);
    const [firstLeaf] = parseCertificateChain(first.cert);

    let reads = 0;
    let mismatches = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const pair = readPair(volume.targetPath);
        reads++;
        if (!publicKeyMatches(pair.cert, pair.key)) mismatches++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const renewedCert = await waitForNewCert(volume.targetPath, first.cert, 15_000);
    reading = false;
    await reader;

    const [renewedLeaf] = parseCertificateChain(renewedCert);
    const renewedAfterMs = renewedLeaf.notBefore.getTime() - firstLeaf.notBefore.getTime();
    const lifetime = firstLeaf.notAfter.getTime() - firstLeaf.notBefore.getTime();
    // Certificates have 1 s resolution; the renewal happened before expiry, near 2/3.
    expect(renewedAfterMs).toBeGreaterThanOrEqual(lifetime / 2 - 1000);
    expect(renewedAfterMs).toBeLessThan(lifetime);
    expect(readPair(volume.targetPath).key).not.toBe(first.key);
    expect(reads).toBeGreaterThan(0);
    expect(mismatches).toBe(0);
    await stack.unpublish(volume);
  }, 30_000);

  it('keeps renewing the Pod-visible files after the driver is SIGKILLed and restarted', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'survivor' });
    await stack.publish(volume);
    const before = readPair(volume.targetPath).cert;

    await stack.restartDriver('SIGKILL');
    // The tmpfs stays mounted on the host; the new driver must not stack a second one on top.
    const tmpfsMounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .filter((l) => l.split(' ')[4] === stack.dataRoot);
    expect(tmpfsMounts).toHaveLength(1);

    // Without republish from kubelet: the resumed schedule renews into the same tmpfs that the
    // Pod's bind mount shows.
    const after = await waitForNewCert(volume.targetPath, before, 15_000);
    expect(parseCertificateChain(after)[0].uriSans).toEqual(['spiffe://example.org/ns/sandbox/sa/survivor']);
    const { cert, key } = readPair(volume.targetPath);
    expect(publicKeyMatches(cert, key)).toBe(true);
    await stack.unpublish(volume);
  }, 60_000);
});
