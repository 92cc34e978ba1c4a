// Issue 11, attack 5 against the BUILT driver with real mounts: paths holding a CR, U+2028 and
// U+2029 (here in the kubelet root dir, so in every target path) that umount echoes in its error
// text. The failing command must fail alone: the one mount helper keeps running and the other
// volumes' mounts, queued at the same time, succeed.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../csi-grpc/harness';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from '../e2e/stack';
import { expectWholePair, mountsUnder, readPair } from '../faults/volume-checks';

if (!IS_ROOT) console.warn('test/hostile: not root — skipping the mount helper test (the built driver mounts a tmpfs)');

/** The driver's mount helper: its child shell running the helper script. */
function helperPids(driverPid: number): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    const stat = safeRead(`/proc/${p}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid === driverPid && safeRead(`/proc/${p}/cmdline`).includes('set -f');
  }).map(Number);
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe.skipIf(!IS_ROOT)('the mount helper against awkward bytes in paths (issue 11, attack 5)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ kubeletRootName: 'kubelet\r\u2028\u2029root' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('a umount failing with such a path in its message fails alone; mounts queued with it succeed', async () => {
    const busy = stack.pod({ namespace: 'sandbox', serviceAccount: 'busy' });
    await stack.publish(busy);
    const [helper] = helperPids(stack.driver.child.pid!);
    expect(helper).toBeDefined();
    // A process inside the mount keeps umount from succeeding ("target is busy", path echoed).
    const holder = spawn('sleep', ['60'], { cwd: busy.targetPath, stdio: 'ignore' });
    try {
      const others = ['one', 'two', 'three'].map((sa) => stack.pod({ namespace: 'sandbox', serviceAccount: sa }));
      const [failure, ...published] = await Promise.all([
        failureOf(stack.unpublish(busy)), ...others.map((pod) => stack.publish(pod)),
      ]);
      expect(failure.code).toBe(13);
      expect(failure.details).toMatch(/target is busy/);
      expect(failure.details).toContain('kubelet\r\u2028\u2029root');
      expect(published).toEqual([{}, {}, {}]);
      for (const pod of others) expectWholePair(readPair(pod.targetPath), `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/${pod.pod.serviceAccount}`);
      expect(helperPids(stack.driver.child.pid!)).toEqual([helper]); // never killed or replaced
      for (const pod of others) await stack.unpublish(pod);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    await stack.unpublish(busy); // kubelet's retry, once the mount is no longer busy
    expect(mountsUnder(stack.podsDir)).toEqual([]);
  }, 60_000);
});
