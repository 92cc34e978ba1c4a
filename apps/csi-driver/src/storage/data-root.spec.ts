import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataRoot } from './data-root';
import { FakeMounter } from './fake-mounter';
import { LinuxMounter } from './mounter';
import { ROOT_ONLY, MountSandbox, isRoot } from './testing/mount-sandbox';

describe('DataRoot', () => {
  it('mounts a tmpfs once and reuses it on restart instead of stacking a second one', async () => {
    const mounter = new FakeMounter();
    expect(await new DataRoot(mounter, '/csi-data').status()).toEqual({ path: '/csi-data', tmpfsMounted: false });
    expect(await new DataRoot(mounter, '/csi-data').ensureMounted()).toEqual({ mountedNow: true });
    // a restarted driver process: new DataRoot, same mount table
    expect(await new DataRoot(mounter, '/csi-data').ensureMounted()).toEqual({ mountedNow: false });
    expect(mounter.list().filter((m) => m.path === '/csi-data')).toHaveLength(1);
    expect((await new DataRoot(mounter, '/csi-data').status()).tmpfsMounted).toBe(true);
  });

  it('puts the tmpfs on top of a non-tmpfs mount (e.g. a hostPath) so SVIDs never reach a disk', async () => {
    const mounter = new FakeMounter();
    mounter.preMount({ path: '/csi-data', fsType: 'bind', source: '/var/host', readOnly: false });
    expect(await new DataRoot(mounter, '/csi-data').ensureMounted()).toEqual({ mountedNow: true });
    expect(await mounter.mountedFsType('/csi-data')).toBe('tmpfs');
  });

  it('reports not mounted when the mount table cannot be read', async () => {
    const mounter = new FakeMounter();
    mounter.mountedFsType = () => Promise.reject(new Error('EACCES'));
    expect((await new DataRoot(mounter, '/x').status()).tmpfsMounted).toBe(false);
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
  });
});
