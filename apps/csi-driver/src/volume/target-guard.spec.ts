import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../domain-error';
import { DataRoot } from '../storage/data-root';
import { FakeMounter } from '../storage/testing/fake-mounter';
import { LinuxMounter } from '../storage/mounter';
import { MountSandbox, ROOT_ONLY, isRoot } from '../storage/testing/mount-sandbox';
import { TargetGuard } from './target-guard';

const refusal = async (p: Promise<unknown>) => {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).kind).toBe('invalid-request');
  return (error as DomainError).message;
};

describe('TargetGuard (real directories)', () => {
  let box: MountSandbox;
  let guard: TargetGuard;
  const target = (uid = 'uid-1') => box.path('kubelet', 'pods', uid, 'volumes', 'kubernetes.io~csi', 'spiffe', 'mount');

  beforeEach(async () => {
    box = await MountSandbox.create('csi-target-');
    guard = new TargetGuard(new FakeMounter(), { path: box.path('data-root'), mount: undefined });
  });
  afterEach(() => box.cleanup());

  it('accepts a real path, existing or not, and creates nothing', async () => {
    await guard.confine(target());
    expect(existsSync(box.path('kubelet'))).toBe(false);
    await mkdir(target(), { recursive: true });
    await guard.confine(target());
  });

  // Issue 11, attack 4: a symlinked target_path was followed by mount(8).
  it('refuses a symlink anywhere in the path: pod dir, volume dir, the target itself, dangling or not', async () => {
    await mkdir(box.path('elsewhere'), { recursive: true });
    await mkdir(box.path('kubelet', 'pods'), { recursive: true });
    await symlink(box.path('elsewhere'), box.path('kubelet', 'pods', 'uid-1'));
    expect(await refusal(guard.confine(target()))).toMatch(/must not contain symlinks/);

    await mkdir(box.path('kubelet', 'pods', 'uid-2', 'volumes', 'kubernetes.io~csi', 'spiffe'), { recursive: true });
    await symlink('/nonexistent', target('uid-2'));
    expect(await refusal(guard.confine(target('uid-2')))).toMatch(/resolves to nothing/);

    await mkdir(box.path('kubelet', 'pods', 'uid-3', 'volumes', 'kubernetes.io~csi', 'spiffe'), { recursive: true });
    await symlink(box.path('data-root'), target('uid-3'));
    await refusal(guard.confine(target('uid-3')));
  });

  it('refuses a target inside the data root or one that contains it', async () => {
    expect(await refusal(guard.confine(box.path('data-root', 'vol-1', 'data')))).toMatch(/inside the driver's data root/);
    const over = new TargetGuard(new FakeMounter(), { path: `${target()}/x`, mount: undefined });
    expect(await refusal(over.confine(target()))).toMatch(/contains the driver's data root/);
  });

  it.skipIf(!isRoot)(`tells our bind from a foreign mount by device and root in mountinfo (${ROOT_ONLY})`, async () => {
    const mounter = new LinuxMounter();
    const dataRoot = new DataRoot(mounter, box.path('data-root'), { size: '1m' });
    await dataRoot.ensureMounted();
    const real = new TargetGuard(mounter, dataRoot);
    await mkdir(box.path('data-root', 'vol-1', 'data'), { recursive: true });
    expect(await real.classify(target(), 'vol-1')).toBe('none');
    await mounter.bindReadOnly(box.path('data-root', 'vol-1', 'data'), target());
    expect(await real.classify(target(), 'vol-1')).toBe('ours');
    expect(await real.classify(target(), 'vol-2')).toBe('foreign'); // another volume's bind is not this one's
    await rm(box.path('data-root', 'vol-1'), { recursive: true }); // mountinfo root becomes "/vol-1/data//deleted"
    expect(await real.classify(target(), 'vol-1')).toBe('ours'); // still ours to unmount
    await mounter.mountTmpfs(target('uid-9'), { size: '64k' });
    expect(await real.classify(target('uid-9'), 'vol-1')).toBe('foreign');
    await mounter.close();
  });
});
