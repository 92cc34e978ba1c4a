// Issue 11: hostile and confused CSI callers against the volume manager (fake mounts, fake API).
// Each case is an attack that succeeded before the fix; the names say what must hold instead.
import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RENEWAL_TOKEN_KEY, type ManagedVolume } from './managed-volume';
import { DATA_ROOT_PATH, createWorld, expectCsiError, publishRequest, startDriver, targetPathOf, type TestDriver, type World } from './testing/harness';
import { eventually } from '../../../../test/support/eventually';

describe('volume manager against hostile callers', () => {
  let world: World;
  let driver: TestDriver;
  const victim = publishRequest('vol-1');

  beforeEach(async () => {
    world = await createWorld();
    driver = await startDriver(world);
    await driver.start();
    await driver.manager.publish(victim);
  });
  afterEach(() => driver.stop());

  const stored = async () => (await world.store.read('vol-1')) as ManagedVolume;
  const binds = () => world.mounter.calls.filter((c) => c.op === 'bindReadOnly');

  /** Nothing about the victim's volume changed: same token, same files, one request, one bind, still renewing. */
  async function expectVictimUntouched(before: ManagedVolume, files: Record<string, Buffer>) {
    expect(await stored()).toEqual(before);
    expect(await world.files.read('vol-1')).toEqual(files);
    expect(world.backend.created).toHaveLength(1);
    expect(await world.mounter.isMountPoint(victim.targetPath)).toBe(true);
    expect(driver.renewer.nextAt('vol-1')).toBeDefined();
  }

  describe('takeover by publishing an existing volume_id (attack 1)', () => {
    it('at another target path: FAILED_PRECONDITION, nothing mounted there, nothing stored', async () => {
      const [before, files] = [await stored(), await world.files.read('vol-1')];
      const attack = { ...victim, targetPath: targetPathOf('vol-1', 'uid-vol-1').replace('/spiffe/', '/loot/') };
      const error = await expectCsiError(driver.manager.publish(attack));
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(error.message).toMatch(/already published at another target path/);
      expect(binds()).toHaveLength(1);
      await expectVictimUntouched(before, files);
    });

    it.each([
      ['service account', { serviceAccount: 'attacker', spiffeId: 'spiffe://cluster.local/ns/team-a/sa/attacker' }],
      ['namespace', { namespace: 'evil', spiffeId: 'spiffe://cluster.local/ns/evil/sa/web' }],
      ['pod UID', { podUid: 'uid-other' }],
    ])('with a real token of another %s: PERMISSION_DENIED naming it, nothing stored', async (part, identity) => {
      const [before, files] = [await stored(), await world.files.read('vol-1')];
      const error = await expectCsiError(driver.manager.publish(publishRequest('vol-1', { ...identity, token: 'attacker-token' })));
      expect(error.code).toBe(status.PERMISSION_DENIED);
      expect(error.message).toContain(`belongs to another ${part}`);
      expect(error.message).not.toContain('attacker-token');
      await expectVictimUntouched(before, files);
    });

    it('with a forged token carrying the right claims: UNAUTHENTICATED, the stored token is kept', async () => {
      const [before, files] = [await stored(), await world.files.read('vol-1')];
      world.backend.forgedTokens.add('forged');
      const error = await expectCsiError(driver.manager.publish(publishRequest('vol-1', { token: 'forged' })));
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(world.backend.verifiedTokens).toEqual(['forged']);
      await expectVictimUntouched(before, files);
    });

    it('kubelet\'s republish with the same token costs no API call; a fresh genuine one replaces the stored one', async () => {
      await driver.manager.publish(victim);
      expect(world.backend.verifiedTokens).toEqual([]);
      await driver.manager.publish(publishRequest('vol-1', { token: 'token-2' }));
      expect(world.backend.verifiedTokens).toEqual(['token-2']);
      expect((await stored()).volumeContext[RENEWAL_TOKEN_KEY]).toBe('token-2');
      expect(binds()).toHaveLength(1);
    });
  });

  describe('unpublish of someone else\'s volume or mount (attack 2)', () => {
    it('a victim\'s volume_id with another target: FAILED_PRECONDITION, nothing unmounted or deleted', async () => {
      const [before, files] = [await stored(), await world.files.read('vol-1')];
      const unrelated = targetPathOf('vol-9', 'uid-vol-9');
      world.mounter.preMount({ path: unrelated, fsType: 'ext4', source: '/dev/sdb1', readOnly: false });
      const error = await expectCsiError(driver.manager.unpublish('vol-1', unrelated));
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(await world.mounter.isMountPoint(unrelated)).toBe(true);
      await expectVictimUntouched(before, files);
    });

    it('an unknown volume_id at a foreign mount point: OK (idempotent) and the mount is left alone', async () => {
      const foreign = targetPathOf('vol-9', 'uid-vol-9');
      world.mounter.preMount({ path: foreign, fsType: 'ext4', source: '/dev/sdb1', readOnly: false });
      await driver.manager.unpublish('vol-9', foreign);
      expect(world.mounter.calls.filter((c) => c.op === 'unmount')).toEqual([]);
      expect(await world.mounter.isMountPoint(foreign)).toBe(true);
    });

    it('its own target overmounted by something else: cleans up the volume, leaves the foreign mount', async () => {
      world.mounter.preMount({ path: victim.targetPath, fsType: 'ext4', source: '/dev/sdb1', readOnly: false });
      await driver.manager.unpublish('vol-1', victim.targetPath);
      expect(world.mounter.calls.filter((c) => c.op === 'unmount')).toEqual([]);
      expect(await world.store.list()).toEqual([]);
      expect(driver.renewer.nextAt('vol-1')).toBeUndefined();
    });
  });

  describe('unconfined targets (attack 4)', () => {
    it('a target that already is a foreign mount point: FAILED_PRECONDITION before any key or request', async () => {
      const req = publishRequest('vol-2');
      world.mounter.preMount({ path: req.targetPath, fsType: 'ext4', source: '/dev/sdb1', readOnly: false });
      const error = await expectCsiError(driver.manager.publish(req));
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(error.message).toMatch(/already a mount point of something else/);
      expect(world.backend.created).toHaveLength(1); // the victim's only
      expect(await world.store.read('vol-2')).toBeUndefined();
    });

    it('a target inside the data root: INVALID_ARGUMENT, nothing created', async () => {
      const req = { ...publishRequest('vol-2'), targetPath: `${DATA_ROOT_PATH}/vol-1/data` };
      const error = await expectCsiError(driver.manager.publish(req));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.message).toMatch(/inside the driver's data root/);
      const unpublish = await expectCsiError(driver.manager.unpublish('vol-1', DATA_ROOT_PATH));
      expect(unpublish.code).toBe(status.INVALID_ARGUMENT);
      expect(await world.mounter.mountedFsType(DATA_ROOT_PATH)).toBe('tmpfs');
      expect(world.backend.created).toHaveLength(1);
    });
  });

  describe('the data root tmpfs disappears (attack 3)', () => {
    it('reports not ready, remounts before the next publish and re-issues a republished volume into it', async () => {
      await world.mounter.unmount(DATA_ROOT_PATH);
      await world.store.remove('vol-1'); // its contents went with it
      expect(await driver.manager.ready()).toMatchObject({ ready: false, reason: expect.stringMatching(/unmounted/) });

      await driver.manager.publish(publishRequest('vol-1', { token: 'token-2' }));
      expect(await driver.manager.ready()).toEqual({ ready: true });
      expect(await driver.registry.getSingleMetricAsString('certmanager_csi_spiffe_data_root_lost_total')).toContain('} 1');
      // The old bind pointed into the lost tmpfs: replaced by one of the new data dir, with a new SVID.
      expect(world.backend.created).toHaveLength(2);
      expect(await world.mounter.mountAt(victim.targetPath)).toMatchObject({ root: '/vol-1/data', fsType: 'tmpfs' });
      expect(world.mounter.list().filter((m) => m.path === victim.targetPath)).toHaveLength(1);
      expect(driver.events.warnings.map((w) => w.reason)).toContain('SvidReissued');
    });

    it('a renewal whose metadata is gone is retried and counted, never dropped', async () => {
      await world.store.remove('vol-1');
      await driver.renewer.renew('vol-1');
      expect(driver.renewer.nextAt('vol-1')).toBeGreaterThan(Date.now());
      expect(await driver.registry.getSingleMetricAsString('certmanager_csi_spiffe_renewal_skipped_total'))
        .toContain('reason="metadata-unreadable"} 1');
      await driver.manager.unpublish('vol-1', victim.targetPath);
      await driver.renewer.renew('vol-1'); // after unpublish: nothing to retry
      await eventually(() => driver.renewer.nextAt('vol-1') === undefined);
    });
  });
});
