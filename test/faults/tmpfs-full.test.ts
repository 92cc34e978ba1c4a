import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxMounter } from '../../apps/csi-driver/src/storage/mounter';
import { failureOf } from '../csi-grpc/harness';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from '../e2e/stack';
import { SecretLedger } from '../hostile/secret-ledger';
import {
  expectNoSecretsLogged, expectWholePair, mountsUnder, readPair, VERBOSE, volumeDirs,
} from './volume-checks';

if (!IS_ROOT) console.warn('test/faults: not root — skipping the tmpfs-full test (needs its own tmpfs)');

/** Writes zeros until the filesystem refuses; returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

describe.skipIf(!IS_ROOT)('the driver\'s tmpfs is full', () => {
  let stack: Stack;
  let ledger: SecretLedger;
  let hostDir: string;
  let dataRoot: string;
  const mounter = new LinuxMounter();
  beforeAll(async () => {
    // A tiny tmpfs mounted before the driver starts: the driver must adopt it, not stack another.
    hostDir = mkdtempSync(join(tmpdir(), 'spiffe-tmpfs-full-'));
    dataRoot = join(hostDir, 'csi-data-dir');
    await mounter.mountTmpfs(dataRoot, { size: '256k' });
    stack = await startStack({ driverArgs: [...VERBOSE, `--data-root=${dataRoot}`], approverArgs: VERBOSE });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop(); // unmounts the Pods' bind mounts under its work dir
    await mounter.unmount(dataRoot).catch(() => undefined);
    rmSync(hostDir, { recursive: true, force: true });
  });

  it('publish fails with a clear error and leaves no volume; renewal fails and keeps the old files', async () => {
    expect(mountsUnder(dataRoot)).toEqual([dataRoot]); // adopted, not covered by a second tmpfs
    stack.issuer.setCertDuration(6_000); // renewal due ~4 s after issuance
    const existing = stack.pod({ namespace: 'sandbox', serviceAccount: 'already-there' });
    await stack.publish(existing);
    const before = readPair(existing.targetPath);
    ledger.captureKeysUnder(existing.targetPath);

    const filler = join(dataRoot, '.filler');
    expect(fillUp(filler)).toBeGreaterThan(0);
    const newcomer = stack.pod({ namespace: 'sandbox', serviceAccount: 'no-room' });
    const failure = await failureOf(stack.publish(newcomer));
    expect(failure.code).toBe(13); // INTERNAL, naming the volume and the cause
    expect(failure.details).toMatch(new RegExp(`^publishing volume ${newcomer.volumeId}: .*no space left on the driver's tmpfs data root`));
    expect(volumeDirs(dataRoot)).toEqual(['.filler', existing.volumeId]);
    expect(mountsUnder(newcomer.targetPath)).toEqual([]);

    await stack.driver.waitForLog((l) => l.msg === 'renewal will be retried' && l.volumeId === existing.volumeId, 20_000);
    expect(readPair(existing.targetPath)).toEqual(before);
    expectWholePair(before, `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/already-there`);
    expect(stack.driver.logs.some((l) => /no space left/.test(JSON.stringify(l)))).toBe(true);

    // Space comes back: kubelet's retry of the failed publish now succeeds.
    unlinkSync(filler);
    stack.issuer.setCertDuration(undefined);
    await stack.publish(newcomer);
    expectWholePair(readPair(newcomer.targetPath), `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/no-room`);
    ledger.captureKeysUnder(newcomer.targetPath);
    ledger.captureRequests(stack.sim);
    await stack.unpublish(newcomer);
    await stack.unpublish(existing);
    expect(volumeDirs(dataRoot)).toEqual([]);
    expectNoSecretsLogged(stack, ledger);
  }, 90_000);
});
