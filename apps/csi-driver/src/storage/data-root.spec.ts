import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DataRoot, DataRootLostError } from './data-root';
import { FakeMounter } from './testing/fake-mounter';
import { FileMetadataStore } from './metadata-store';
import { LinuxMounter } from './mounter';
import { FileSvidStore } from './svid-files';
import { ROOT_ONLY, MountSandbox, isRoot } from './testing/mount-sandbox';

describe('DataRoot', () => {
  it('mounts a tmpfs once and reuses it on restart instead of stacking a second one', async () => {
    const mounter = new FakeMounter();
    expect(await new DataRoot(mounter, '/csi-data').status()).toMatchObject({ path: '/csi-data', tmpfsMounted: false });
    expect(await new DataRoot(mounter, '/csi-data').ensureMounted()).toEqual({ mountedNow: true });
    // a restarted driver process: new DataRoot, same mount table
    expect(await new DataRoot(mounter, '/csi-data').ensureMounted()).toEqual({ mountedNow: false });
    expect(mounter.list().filter((m) => m.path === '/csi-data')).toHaveLength(1);
    const adopted = new DataRoot(mounter, '/csi-data');
    expect((await adopted.status()).tmpfsMounted).toBe(false); // not ours until mounted or adopted
    await adopted.ensureMounted();
    expect((await adopted.status()).tmpfsMounted).toBe(true);
  });

  // Issue 11, attack 3: the tmpfs disappears under a running driver.
  it('notices when its tmpfs is unmounted or something is mounted over it, and then refuses writes', async () => {
    const mounter = new FakeMounter();
    const root = new DataRoot(mounter, '/csi-data');
    await root.ensureMounted();
    await expect(root.assertIntact()).resolves.toMatchObject({ fsType: 'tmpfs' });

    await mounter.unmount('/csi-data');
    expect(await root.status()).toEqual({ path: '/csi-data', tmpfsMounted: false, reason: expect.stringMatching(/was unmounted/) });
    await expect(root.assertIntact()).rejects.toThrow(DataRootLostError);

    mounter.preMount({ path: '/csi-data', fsType: 'tmpfs', source: 'tmpfs', readOnly: false }); // another tmpfs, not ours
    expect((await root.status()).reason).toMatch(/no longer the driver's tmpfs/);
    await expect(root.assertIntact()).rejects.toThrow(/refusing to write key material/);
    await root.ensureMounted(); // recovery adopts what is there now, being a tmpfs
    expect((await root.status()).tmpfsMounted).toBe(true);
  });

  it('answers writers from the mount the directory lies on, reading the mount table only when that differs', async () => {
    const mounter = new FakeMounter();
    const root = new DataRoot(mounter, '/csi-data');
    await root.ensureMounted();
    let tableReads = 0;
    const mountAt = mounter.mountAt.bind(mounter);
    mounter.mountAt = (path) => {
      tableReads++;
      return mountAt(path);
    };
    for (let i = 0; i < 5; i++) await root.assertIntact();
    expect(tableReads).toBe(0);
    mounter.preMount({ path: '/csi-data', fsType: 'tmpfs', source: 'tmpfs', readOnly: false }); // mounted over
    await expect(root.assertIntact()).rejects.toThrow(/no longer the driver's tmpfs/);
    expect(tableReads).toBe(1);
    mounter.mountOf = async () => undefined; // the kernel cannot tell cheaply: the table decides
    await mounter.unmount('/csi-data');
    await expect(root.assertIntact()).resolves.toMatchObject({ fsType: 'tmpfs' });
    expect(tableReads).toBe(2);
  });

  it('puts the tmpfs on top of a non-tmpfs mount (e.g. a hostPath) so SVIDs never reach a disk', async () => {
    const mounter = new FakeMounter();
    mounter.preMount({ path: '/csi-data', fsType: 'bind', source: '/var/host', readOnly: false });
    expect(await new DataRoot(mounter, '/csi-data').ensureMounted()).toEqual({ mountedNow: true });
    expect(await mounter.mountedFsType('/csi-data')).toBe('tmpfs');
  });

  it('reports not mounted when the mount table cannot be read', async () => {
    const mounter = new FakeMounter();
    const root = new DataRoot(mounter, '/x');
    await root.ensureMounted();
    mounter.mountAt = () => Promise.reject(new Error('EACCES'));
    expect(await root.status()).toMatchObject({ tmpfsMounted: false, reason: expect.stringContaining('EACCES') });
  });

  describe('with real mounts', () => {
    let box: MountSandbox;
    beforeEach(async () => {
      box = await MountSandbox.create();
    });
    afterEach(async () => {
      await box.cleanup();
    });

    it.skipIf(!isRoot)(`ensureMounted twice leaves exactly one mount in mountinfo (${ROOT_ONLY})`, async () => {
      const path = box.path('data root');
      const first = new DataRoot(new LinuxMounter(), path, { size: '1m' });
      expect(await first.ensureMounted()).toEqual({ mountedNow: true });
      expect(await new DataRoot(new LinuxMounter(), path).ensureMounted()).toEqual({ mountedNow: false });
      expect(await box.mountsBelow()).toEqual([path]);
      expect(await first.status()).toEqual({ path, tmpfsMounted: true });
    });

    it.skipIf(!isRoot)(`after a lazy unmount no key or metadata is written to the disk below (${ROOT_ONLY})`, async () => {
      const path = box.path('data-root');
      const root = new DataRoot(new LinuxMounter(), path, { size: '1m' });
      await root.ensureMounted();
      const files = new FileSvidStore(path, root);
      const metadata = new FileMetadataStore(path, undefined, root);
      await files.write('vol-1', { 'tls.key': 'KEY' });
      execFileSync('umount', ['-l', path]);
      await expect(files.write('vol-2', { 'tls.key': 'KEY' })).rejects.toThrow(DataRootLostError);
      await expect(metadata.write({ volumeId: 'vol-2', targetPath: '/t', volumeContext: {} })).rejects.toThrow(DataRootLostError);
      expect(existsSync(box.path('data-root', 'vol-2'))).toBe(false);
      expect(await root.status()).toMatchObject({ tmpfsMounted: false, reason: expect.stringMatching(/unmounted/) });
    });

    it.skipIf(!isRoot)(`refuses writes once another tmpfs is mounted over it, or the same one bound over it (${ROOT_ONLY})`, async () => {
      const path = box.path('data-root');
      const root = new DataRoot(new LinuxMounter(), path, { size: '1m' });
      await root.ensureMounted();
      const files = new FileSvidStore(path, root);
      await files.write('vol-1', { 'tls.key': 'KEY' });
      // The same tmpfs bound over itself: same device, another mount; then a stranger's tmpfs on top.
      execFileSync('mount', ['--bind', path, path]);
      await expect(files.write('vol-2', { 'tls.key': 'KEY' })).rejects.toThrow(DataRootLostError);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path]);
      await expect(files.write('vol-2', { 'tls.key': 'KEY' })).rejects.toThrow(/no longer the driver's tmpfs/);
      expect(existsSync(box.path('data-root', 'vol-2'))).toBe(false);
    });
  });
});
