// @peculiar/x509 (inside @spiffe-csi/crypto) needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManagedVolume } from './managed-volume';
import { createWorld, publishRequest, startDriver, type TestDriver, type World } from './testing/harness';
import { eventually } from '../../../../test/support/eventually';

describe('renewal and resume', () => {
  let world: World;
  const drivers: TestDriver[] = [];
  const boot = async (options?: Parameters<typeof startDriver>[1]) => {
    const driver = await startDriver(world, options);
    drivers.push(driver);
    await driver.start();
    return driver;
  };
  const metadata = async (id: string) => (await world.store.read(id)) as ManagedVolume;

  beforeEach(async () => {
    world = await createWorld();
  });
  afterEach(() => Promise.all(drivers.splice(0).map((d) => d.stop())));

  it('renews a short-lived SVID at 2/3 of its life with a new key and prunes the old request', async () => {
    world.backend.certDurationMs = 3_000;
    const driver = await boot();
    await driver.manager.publish(publishRequest('vol-1'));
    const first = await world.files.read('vol-1');
    const firstMeta = await metadata('vol-1');
    const lifetime = Date.parse(firstMeta.notAfter!) - 3_000;
    expect(Date.parse(firstMeta.nextIssuanceTime!)).toBe(lifetime + 2_000);

    await eventually(() => world.backend.created.length === 2);
    await eventually(async () => (await metadata('vol-1')).lastRequestName === `team-a/${world.backend.created[1].name}`);
    const second = await world.files.read('vol-1');
    expect(second['tls.key'].equals(first['tls.key'])).toBe(false);
    expect(second['tls.crt'].equals(first['tls.crt'])).toBe(false);
    expect(world.backend.created[1].token).toBe('token-1');
    await eventually(() => world.backend.names().length === 1);
    expect(world.backend.names()).toEqual([world.backend.created[1].name]);
  });

  it('a failed renewal keeps the current files and backs off exponentially; success resets', async () => {
    const driver = await boot({ backoffMs: 30_000 });
    await driver.manager.publish(publishRequest('vol-1'));
    const before = await world.files.read('vol-1');
    world.backend.answer = { fail: 'issuer unavailable' };

    let start = Date.now();
    await driver.renewer.renew('vol-1');
    expect(await world.files.read('vol-1')).toEqual(before);
    expect(driver.renewer.failures('vol-1')).toBe(1);
    expect(driver.renewer.nextAt('vol-1')! - start).toBeGreaterThanOrEqual(30_000);
    expect(driver.renewer.nextAt('vol-1')! - Date.now()).toBeLessThanOrEqual(30_000);

    start = Date.now();
    await driver.renewer.renew('vol-1');
    expect(driver.renewer.nextAt('vol-1')! - start).toBeGreaterThanOrEqual(60_000);
    expect(driver.events.warnings.map((w) => w.reason)).toEqual(['SvidIssuanceFailed', 'SvidIssuanceFailed']);

    // An issued SVID that breaks a rule is a failed renewal too: same files, longer backoff, the rule in the Event.
    world.backend.answer = 'issue';
    world.backend.tamper = 'ca-cert';
    start = Date.now();
    await driver.renewer.renew('vol-1');
    expect(await world.files.read('vol-1')).toEqual(before);
    expect(driver.renewer.nextAt('vol-1')! - start).toBeGreaterThanOrEqual(120_000);
    expect(driver.events.warnings.at(-1)).toMatchObject({ reason: 'SvidRejected', message: expect.stringMatching(/^B5: /) });

    world.backend.tamper = 'none';
    await driver.renewer.renew('vol-1');
    expect(driver.renewer.failures('vol-1')).toBe(0);
    expect(driver.renewer.nextAt('vol-1')).toBe(Date.parse((await metadata('vol-1')).nextIssuanceTime!));
    expect((await world.files.read('vol-1'))['tls.key'].equals(before['tls.key'])).toBe(false);
  });

  it('keeps at most one request per volume after renewals', async () => {
    const driver = await boot();
    await driver.manager.publish(publishRequest('vol-1'));
    await driver.manager.publish(publishRequest('vol-2'));
    for (let i = 0; i < 3; i++) await driver.renewer.renew('vol-1');

    expect(world.backend.created).toHaveLength(5);
    const remaining = [...world.backend.objects.values()].map((o) => o.metadata.name);
    expect(remaining).toHaveLength(2); // newest of vol-1, the only one of vol-2
    expect(remaining).toContain(world.backend.created[4].name);
    expect(remaining).toContain(world.backend.created[1].name);
  });

  it('does not use an expired token: Event, backoff, no request', async () => {
    const driver = await boot();
    await driver.manager.publish(publishRequest('vol-1', { tokenExpiresAt: new Date(Date.now() + 50) }));
    await new Promise((r) => setTimeout(r, 60));
    await driver.renewer.renew('vol-1');
    expect(world.backend.created).toHaveLength(1);
    expect(driver.events.warnings[0].message).toContain('token has expired');
    expect(driver.renewer.failures('vol-1')).toBe(1);
  });

  it('a restarted driver resumes issued volumes, runs overdue ones, drops orphans, leaves unissued ones', async () => {
    const before = await boot();
    await before.manager.publish(publishRequest('vol-1'));
    await before.manager.publish(publishRequest('vol-2'));
    await before.stop();
    const due = await metadata('vol-2');
    await world.store.write({ ...due, nextIssuanceTime: new Date(Date.now() - 1_000).toISOString() });
    await world.store.write({ volumeId: 'vol-3', targetPath: '/t3', volumeContext: {} });
    await world.files.write('orphan', { 'tls.crt': 'x' });

    const after = await boot();
    expect(after.renewer.nextAt('vol-1')).toBe(Date.parse((await metadata('vol-1')).nextIssuanceTime!));
    expect(after.renewer.nextAt('vol-3')).toBeUndefined();
    expect(await world.store.list()).toEqual(['vol-1', 'vol-2', 'vol-3']);
    expect(world.files.volumeIds()).not.toContain('orphan');
    await eventually(() => world.backend.created.length === 3);
    await eventually(async () => Date.parse((await metadata('vol-2')).nextIssuanceTime!) > Date.now());
    expect(await after.registry.getSingleMetricAsString('certmanager_csi_managed_volume_count')).toContain('} 2');
  });
});
