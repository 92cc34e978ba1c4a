// Issue 11, attacks 1, 2 and 4 against the BUILT driver with real mounts: a caller on the CSI
// socket that is not kubelet (or a kubelet confused after a reboot) tries to take over another
// Pod's volume, unmount something that is not ours, or mount where kubelet never would.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxMounter } from '../../apps/csi-driver/src/storage/mounter';
import { RENEWAL_TOKEN_KEY } from '../../apps/csi-driver/src/volume/managed-volume';
import { failureOf } from '../csi-grpc/harness';
import { makeServiceAccountJwt, tokensContextValue } from '../csi-grpc/sa-token';
import type { PodVolume } from '../e2e/kubelet';
import { IS_ROOT, startStack, type Stack } from '../e2e/stack';
import { expectNoSecretsLogged, mountsUnder, readPair, requestsCreatedBy, VERBOSE, volumeDirs } from '../faults/volume-checks';
import { SecretLedger } from './secret-ledger';

if (!IS_ROOT) console.warn('test/hostile: not root — skipping the takeover tests (the built driver mounts a tmpfs)');

type Request = Record<string, unknown> & { volume_id: string; target_path: string; volume_context: Record<string, string> };
const TOKENS = 'csi.storage.k8s.io/serviceAccount.tokens';

describe.skipIf(!IS_ROOT)('hostile CSI callers against the built driver (issue 11)', () => {
  let stack: Stack;
  let ledger: SecretLedger;
  let victim: PodVolume;
  const mounter = new LinuxMounter();
  const storedToken = (v: PodVolume) => (JSON.parse(readFileSync(join(stack.dataRoot, v.volumeId, 'metadata.json'), 'utf8')) as
    { volumeContext: Record<string, string> }).volumeContext[RENEWAL_TOKEN_KEY];
  const request = (v: PodVolume) => v.request as Request;
  const publish = (r: Request) => stack.csi.node.NodePublishVolume(r);

  beforeAll(async () => {
    stack = await startStack({ driverArgs: VERBOSE, approverArgs: VERBOSE });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
    victim = stack.pod({ namespace: 'sandbox', serviceAccount: 'victim' });
    await stack.publish(victim);
    ledger.captureKeysUnder(victim.targetPath);
  }, 120_000);
  afterAll(async () => {
    await mounter.close();
    await stack?.stop();
  });

  /** The victim's volume is exactly as it was: token, files, one mount, one request. */
  function expectVictimUntouched(token: string, files: ReturnType<typeof readPair>): void {
    expect(storedToken(victim)).toBe(token);
    expect(readPair(victim.targetPath)).toEqual(files);
    expect(mountsUnder(victim.targetPath)).toEqual([victim.targetPath]);
    expect(requestsCreatedBy(stack, 'victim')).toBe(1);
  }

  describe('attack 1: publishing the victim\'s volume_id', () => {
    it('at the attacker\'s own target with its real token → FAILED_PRECONDITION, nothing mounted there', async () => {
      const [token, files] = [storedToken(victim), readPair(victim.targetPath)];
      const attacker = stack.pod({ namespace: 'sandbox', serviceAccount: 'attacker' });
      const failure = await failureOf(publish({ ...request(attacker), volume_id: victim.volumeId }));
      expect(failure).toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringMatching(/another target path/) });
      expect(existsSync(attacker.targetPath) && mountsUnder(attacker.targetPath)).toBeFalsy();
      expect(requestsCreatedBy(stack, 'attacker')).toBe(0);
      expectVictimUntouched(token, files);
    });

    it('at the victim\'s target with a real token of another ServiceAccount → PERMISSION_DENIED', async () => {
      const [token, files] = [storedToken(victim), readPair(victim.targetPath)];
      const { name, uid } = victim.pod;
      const other = stack.sim.serviceAccountToken('sandbox', 'attacker', { podName: name, podUid: uid });
      const req = request(victim);
      req.volume_context['csi.storage.k8s.io/serviceAccount.name'] = 'attacker';
      req.volume_context[TOKENS] = tokensContextValue(other);
      const failure = await failureOf(publish(req));
      expect(failure).toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringMatching(/another service account/) });
      expectVictimUntouched(token, files);
    });

    it('at the victim\'s target with a forged token carrying its claims → UNAUTHENTICATED, token kept', async () => {
      const [token, files] = [storedToken(victim), readPair(victim.targetPath)];
      const { namespace, serviceAccount, name, uid } = victim.pod;
      const forged = makeServiceAccountJwt({ namespace, serviceAccount, podName: name, podUid: uid });
      ledger.addToken(forged);
      const req = request(victim);
      req.volume_context[TOKENS] = tokensContextValue(forged);
      const failure = await failureOf(publish(req));
      expect(failure).toMatchObject({ code: status.UNAUTHENTICATED, details: expect.stringMatching(/rejected the ServiceAccount token/) });
      expectVictimUntouched(token, files);
    });

    it('kubelet\'s own republish with a fresh token still works and the fresh token is kept', async () => {
      const req = request(victim);
      await publish(req);
      expect(storedToken(victim)).toBe(JSON.parse(req.volume_context[TOKENS])[''].token);
      expect(mountsUnder(victim.targetPath)).toEqual([victim.targetPath]);
    });
  });

  describe('attack 2: unpublishing what is not ours', () => {
    let foreign: string;
    beforeAll(async () => {
      foreign = stack.pod({ namespace: 'sandbox', serviceAccount: 'bystander' }).targetPath;
      await mounter.mountTmpfs(foreign, { size: '64k' });
      writeFileSync(join(foreign, 'precious'), 'data');
    });

    it('the victim\'s volume_id with an unrelated mount point → FAILED_PRECONDITION; both stay', async () => {
      const [token, files] = [storedToken(victim), readPair(victim.targetPath)];
      const failure = await failureOf(stack.csi.node.NodeUnpublishVolume({ volume_id: victim.volumeId, target_path: foreign }));
      expect(failure.code).toBe(status.FAILED_PRECONDITION);
      expect(readFileSync(join(foreign, 'precious'), 'utf8')).toBe('data');
      expectVictimUntouched(token, files);
    });

    it('an unknown volume_id at a foreign mount point → OK, and the mount is left alone', async () => {
      await stack.csi.node.NodeUnpublishVolume({ volume_id: 'csi-0123456789abcdef', target_path: foreign });
      expect(readFileSync(join(foreign, 'precious'), 'utf8')).toBe('data');
    });
  });

  describe('attack 4: targets kubelet would never use', () => {
    it('a target inside the data root → INVALID_ARGUMENT, the victim\'s data dir is not overmounted', async () => {
      const req = { ...request(stack.pod({ namespace: 'sandbox', serviceAccount: 'inside' })),
        target_path: join(stack.dataRoot, victim.volumeId, 'data') };
      expect((await failureOf(publish(req))).code).toBe(status.INVALID_ARGUMENT);
      expect(mountsUnder(stack.dataRoot)).toEqual([stack.dataRoot]);
      expect(requestsCreatedBy(stack, 'inside')).toBe(0);
    });

    it('a target reached through a symlink → INVALID_ARGUMENT, nothing issued or mounted where it points', async () => {
      const pod = stack.pod({ namespace: 'sandbox', serviceAccount: 'linked' });
      const elsewhere = join(stack.workDir, 'elsewhere');
      mkdirSync(elsewhere, { recursive: true });
      mkdirSync(join(stack.podsDir, pod.pod.uid, 'volumes', 'kubernetes.io~csi'), { recursive: true });
      symlinkSync(elsewhere, join(stack.podsDir, pod.pod.uid, 'volumes', 'kubernetes.io~csi', 'spiffe'));
      const failure = await failureOf(stack.publish(pod));
      expect(failure).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/must not contain symlinks/) });
      expect(mountsUnder(elsewhere)).toEqual([]);
      expect(existsSync(join(elsewhere, 'mount'))).toBe(false);
      expect(requestsCreatedBy(stack, 'linked')).toBe(0);
    });

    it('a target that already is another mount point → FAILED_PRECONDITION before any request', async () => {
      const pod = stack.pod({ namespace: 'sandbox', serviceAccount: 'overmount' });
      await mounter.mountTmpfs(pod.targetPath, { size: '64k' });
      const failure = await failureOf(stack.publish(pod));
      expect(failure).toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringMatching(/already a mount point/) });
      expect(requestsCreatedBy(stack, 'overmount')).toBe(0);
      expect(volumeDirs(stack.dataRoot)).toEqual([victim.volumeId]);
      await mounter.unmount(pod.targetPath);
    });
  });

  it('unpublishes the victim cleanly at the end and never logged a secret', async () => {
    await stack.unpublish(victim);
    expect(volumeDirs(stack.dataRoot)).toEqual([]);
    expectNoSecretsLogged(stack, ledger);
  });
});
