import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMounter } from './testing/fake-mounter';
import { LinuxMounter, MountError } from './mounter';
import { ROOT_ONLY, MountSandbox, isRoot } from './testing/mount-sandbox';

describe('LinuxMounter (real mounts)', () => {
  let box: MountSandbox;
  const mounter = new LinuxMounter();

  beforeEach(async () => {
    box = await MountSandbox.create('csi mounter '); // a space in every path on purpose
  });
  afterEach(async () => {
    await box.cleanup();
  });

  it.skipIf(!isRoot)(`mounts a tmpfs and sees it through mountinfo even with spaces in the path (${ROOT_ONLY})`, async () => {
    const root = box.path('data root');
    expect(await mounter.isMountPoint(root)).toBe(false);
    await mounter.mountTmpfs(root, { size: '1m' });
    expect(await mounter.isMountPoint(root)).toBe(true);
    expect(await mounter.mountedFsType(root)).toBe('tmpfs');
    expect(await box.mountsBelow()).toEqual([root]);
  });

  it.skipIf(!isRoot)(`resolves symlinks before matching mount points (${ROOT_ONLY})`, async () => {
    const root = box.path('real');
    await mounter.mountTmpfs(root);
    await symlink(root, box.path('alias'));
    expect(await mounter.isMountPoint(box.path('alias'))).toBe(true);
    expect(await mounter.isMountPoint(box.path('missing'))).toBe(false);
  });

  it.skipIf(!isRoot)(`bind-mounts read-only: writes through the target fail with EROFS (${ROOT_ONLY})`, async () => {
    const root = box.path('tmpfs');
    await mounter.mountTmpfs(root);
    const source = box.path('tmpfs', 'src');
    await mkdir(source);
    await writeFile(`${source}/tls.crt`, 'cert');
    const target = box.path('pod volume');
    await mounter.bindReadOnly(source, target);

    expect(await mounter.isMountPoint(target)).toBe(true);
    expect(await readFile(`${target}/tls.crt`, 'utf8')).toBe('cert');
    await expect(writeFile(`${target}/tls.crt`, 'evil')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(writeFile(`${target}/new`, 'x')).rejects.toMatchObject({ code: 'EROFS' });
    // The source stays writable for the driver, and the pod sees the change.
    await writeFile(`${source}/tls.crt`, 'renewed');
    expect(await readFile(`${target}/tls.crt`, 'utf8')).toBe('renewed');
  });

  it.skipIf(!isRoot)(`tells mount points in O(1) as mountinfo does: same-device binds, file binds, plain dirs (${ROOT_ONLY})`, async () => {
    // The same table under another name makes the mounter answer from mountinfo alone: the oracle.
    const byTable = new LinuxMounter({ mountInfoFile: `/proc/${process.pid}/mountinfo` });
    const root = box.path('tmpfs');
    await mounter.mountTmpfs(root);
    await mkdir(`${root}/src`);
    await mkdir(`${root}/plain`);
    await writeFile(`${root}/file`, 'x');
    await writeFile(box.path('file target'), '');
    const bound = await mounter.bindReadOnly(`${root}/src`, `${root}/bound here`); // same device as its parent
    expect(bound).toMatchObject({ mountPoint: `${root}/bound here`, root: '/src', fsType: 'tmpfs' });
    expect(bound.mountOptions).toContain('ro');
    execFileSync('mount', ['--bind', `${root}/file`, box.path('file target')]);
    for (const [path, mounted] of [[root, true], [`${root}/bound here`, true], [box.path('file target'), true],
      [`${root}/plain`, false], [`${root}/file`, false], [box.path(), false], ['/', true]] as const) {
      expect({ path, mounted: await mounter.isMountPoint(path) }).toEqual({ path, mounted });
      expect({ path, mounted: await byTable.isMountPoint(path) }).toEqual({ path, mounted });
    }
    await byTable.close();
  });

  it.skipIf(!isRoot)(`unmount is idempotent: mounted, not mounted, missing path (${ROOT_ONLY})`, async () => {
    const root = box.path('t');
    await mounter.mountTmpfs(root);
    await mounter.unmount(root);
    expect(await mounter.isMountPoint(root)).toBe(false);
    await expect(mounter.unmount(root)).resolves.toBeUndefined();
    await expect(mounter.unmount(box.path('never existed'))).resolves.toBeUndefined();
  });

  it.skipIf(!isRoot)(`fails bindReadOnly with a MountError naming the command when the source is missing (${ROOT_ONLY})`, async () => {
    const error = await mounter.bindReadOnly(box.path('nope'), box.path('target')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MountError);
    expect((error as MountError).message).toMatch(/mount --bind .*nope/);
    expect(await box.mountsBelow()).toEqual([]);
  });

  it.skipIf(!isRoot)(`undoes the bind when the read-only remount fails, never leaving a writable view (${ROOT_ONLY})`, async () => {
    const script = box.path('mount-without-remount');
    // An old mount(8) that ignores "ro" on a bind and then refuses the remount.
    await writeFile(script, '#!/bin/sh\ncase "$*" in *remount*) echo "remount refused" >&2; exit 32;; esac\n' +
      'if [ "$1" = "--bind" ]; then exec mount --bind "$4" "$5"; fi\nexec mount "$@"\n', { mode: 0o755 });
    const source = box.path('src');
    await mkdir(source);
    const target = box.path('target');
    const error = await new LinuxMounter({ mountBinary: script }).bindReadOnly(source, target).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/remount refused/);
    expect(await mounter.isMountPoint(target)).toBe(false);
  });

  it.skipIf(!isRoot)(`falls back to a read-only remount when mount(8) ignores ro on a bind (${ROOT_ONLY})`, async () => {
    const script = box.path('mount-ignoring-ro');
    await writeFile(script, '#!/bin/sh\nif [ "$1" = "--bind" ]; then exec mount --bind "$4" "$5"; fi\nexec mount "$@"\n', { mode: 0o755 });
    const source = box.path('src2');
    await mkdir(source);
    const target = box.path('target2');
    await new LinuxMounter({ mountBinary: script }).bindReadOnly(source, target);
    await expect(writeFile(`${target}/x`, 'x')).rejects.toThrow(/EROFS|read-only/);
    await mounter.unmount(target);
  });

  it('refuses a malformed tmpfs size before running anything', async () => {
    await expect(mounter.mountTmpfs(box.path('x'), { size: '1m,exec' })).rejects.toThrow(/invalid tmpfs size/);
  });
});

describe('FakeMounter', () => {
  it('tracks stacked mounts, records calls and unmounts idempotently', async () => {
    const fake = new FakeMounter();
    await fake.mountTmpfs('/data');
    await fake.bindReadOnly('/data/v1/data', '/pods/p1/vol');
    expect(await fake.isMountPoint('/pods/p1/vol')).toBe(true);
    expect(await fake.mountedFsType('/data')).toBe('tmpfs');
    expect(fake.list()).toContainEqual({ path: '/pods/p1/vol', fsType: 'bind', source: '/data/v1/data', readOnly: true });
    await fake.unmount('/pods/p1/vol');
    await fake.unmount('/pods/p1/vol');
    expect(await fake.isMountPoint('/pods/p1/vol')).toBe(false);
    expect(fake.calls.map((c) => c.op)).toEqual(['mountTmpfs', 'bindReadOnly', 'unmount', 'unmount']);
  });

  it('fails the next call of a kind once when told to', async () => {
    const fake = new FakeMounter();
    fake.failNext('bindReadOnly');
    await expect(fake.bindReadOnly('/a', '/b')).rejects.toThrow(/injected/);
    expect(await fake.isMountPoint('/b')).toBe(false);
    await fake.bindReadOnly('/a', '/b');
    expect(await fake.isMountPoint('/b')).toBe(true);
  });
});
