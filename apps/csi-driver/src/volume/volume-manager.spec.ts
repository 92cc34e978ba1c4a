// @peculiar/x509 (inside @spiffe-csi/crypto) needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RENEWAL_TOKEN_KEY, type ManagedVolume } from './managed-volume';
import {
  DATA_ROOT_PATH, createWorld, expectCsiError, publishRequest, startDriver, targetPathOf, type TestDriver, type World,
} from './testing/harness';
import { eventually } from '../../../../test/support/eventually';

describe('DefaultVolumeManager', () => {
  let world: World;
  let driver: TestDriver;

  beforeEach(async () => {
    world = await createWorld();
    driver = await startDriver(world);
    await driver.start();
  });
  afterEach(() => driver.stop());

  const metadata = async (id: string) => (await world.store.read(id)) as ManagedVolume | undefined;

  it('publishes: verified files, metadata with renewal time, read-only bind, renewal scheduled', async () => {
    const req = publishRequest('vol-1');
    await driver.manager.publish(req);

    const files = await world.files.read('vol-1');
    // No --source-ca-bundle: no ca.crt (as the Go driver), but status.ca is the SPIFFE bundle.
    expect(Object.keys(files).sort()).toEqual(['bundle.spiffe', 'credentials.pem', 'tls.crt', 'tls.key']);
    expect(new X509Certificate(files['tls.crt']).subjectAltName).toBe('URI:spiffe://cluster.local/ns/team-a/sa/web');
    expect(files['credentials.pem'].toString()).toBe(files['tls.key'].toString() + files['tls.crt'].toString());
    const [bundleKey] = JSON.parse(files['bundle.spiffe'].toString()).keys;
    const bundleCa = new X509Certificate(Buffer.from(bundleKey.x5c[0], 'base64'));
    expect(new X509Certificate(files['tls.crt']).checkIssued(bundleCa)).toBe(true);
    const meta = await metadata('vol-1');
    expect(meta).toMatchObject({ spiffeId: req.identity.spiffeId, lastRequestName: `team-a/${world.backend.created[0].name}` });
    expect(Date.parse(meta!.nextIssuanceTime!)).toBeLessThan(Date.parse(meta!.notAfter!));
    expect(world.mounter.calls).toContainEqual({ op: 'bindReadOnly', src: `${DATA_ROOT_PATH}/vol-1/data`, dst: req.targetPath });
    expect(driver.renewer.nextAt('vol-1')).toBe(Date.parse(meta!.nextIssuanceTime!));
    expect(await driver.registry.getSingleMetricAsString('certmanager_csi_managed_volume_count')).toContain('node="node-1"} 1');
  });

  it('republish with a fresh token updates metadata without a new request', async () => {
    await driver.manager.publish(publishRequest('vol-1'));
    const before = await world.files.read('vol-1');
    await driver.manager.publish(publishRequest('vol-1', { token: 'token-2', tokenExpiresAt: new Date(Date.now() + 3600_000) }));

    expect(world.backend.created).toHaveLength(1);
    expect((await metadata('vol-1'))?.volumeContext[RENEWAL_TOKEN_KEY]).toBe('token-2');
    expect(await world.files.read('vol-1')).toEqual(before);
    expect(world.mounter.calls.filter((c) => c.op === 'bindReadOnly')).toHaveLength(1);
  });

  it('two concurrent publishes of one volume issue once and never report an empty volume mounted', async () => {
    world.backend.answer = 'none';
    const settled: string[] = [];
    const first = driver.manager.publish(publishRequest('vol-1')).then(() => settled.push('first'));
    const second = driver.manager.publish(publishRequest('vol-1')).then(() => settled.push('second'));
    await eventually(() => world.backend.created.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    // The data dir may already be bound (early, off the startup path), but neither publish may
    // return while it is empty: kubelet would start the container on an empty volume (csi-lib #211).
    expect(settled).toEqual([]);
    expect(world.files.volumeIds()).toEqual([]);
    await world.backend.issue(`team-a/${world.backend.created[0].name}`);
    await Promise.all([first, second]);

    expect(world.backend.created).toHaveLength(1);
    expect(world.files.volumeIds()).toEqual(['vol-1']);
    expect(world.mounter.calls.filter((c) => c.op === 'bindReadOnly')).toHaveLength(1);
  });

  it('a denied first publish leaves nothing behind and raises a Warning Event on the Pod', async () => {
    world.backend.answer = { deny: 'not allowed' };
    const error = await expectCsiError(driver.manager.publish(publishRequest('vol-1')));
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(error.message).toContain('was denied: not allowed');
    expect(await world.store.list()).toEqual([]);
    expect(world.files.volumeIds()).toEqual([]);
    // The early bind (made while the request was out) is gone again.
    expect(await world.mounter.isMountPoint(targetPathOf('vol-1'))).toBe(false);
    expect(driver.events.warnings).toEqual([{
      pod: { namespace: 'team-a', name: 'pod-vol-1', uid: 'uid-vol-1' }, reason: 'SvidIssuanceFailed', message: error.message,
    }]);
    expect(await driver.registry.getSingleMetricAsString('certmanager_csi_issue_errors_total')).toContain('volume="vol-1"} 1');
  });

  it('an SVID that breaks a rule is never mounted: nothing written, the request forgotten, an Event naming the rule', async () => {
    world.backend.tamper = 'no-digital-signature';
    const error = await expectCsiError(driver.manager.publish(publishRequest('vol-1')));
    expect(error.code).toBe(status.INTERNAL);
    expect(await world.store.list()).toEqual([]);
    expect(world.files.volumeIds()).toEqual([]);
    // The early bind (made while the request was out) is undone: nothing stays mounted.
    const unmounted = world.mounter.calls.flatMap((c) => (c.op === 'unmount' ? [c.path] : []));
    for (const call of world.mounter.calls) if (call.op === 'bindReadOnly') expect(unmounted).toContain(call.dst);
    expect(driver.events.warnings).toEqual([expect.objectContaining({
      reason: 'SvidRejected', message: expect.stringMatching(/^B8: keyUsage lacks digitalSignature \(certificate request team-a\//),
    })]);

    // kubelet's retry is a new issuance (a new request), which succeeds once the issuer behaves.
    world.backend.tamper = 'none';
    await driver.manager.publish(publishRequest('vol-1'));
    expect(world.backend.created).toHaveLength(2);
    expect(Object.keys(await world.files.read('vol-1'))).toContain('credentials.pem');
  });

  it('a publish refused at creation (no RBAC) never binds anything', async () => {
    world.backend.rejectCreate = Object.assign(new Error('forbidden'), { statusCode: 403 });
    const error = await expectCsiError(driver.manager.publish(publishRequest('vol-1')));
    expect(error.code).toBe(status.PERMISSION_DENIED);
    // The early bind waits for the request to exist: a refused one costs no mount and no unmount.
    expect(world.mounter.calls).toEqual([]);
    expect(await world.store.list()).toEqual([]);
  });

  it('a timed-out publish is resumed by the retry without a second request', async () => {
    await driver.stop();
    driver = await startDriver(world, { issuanceTimeoutMs: 150 });
    await driver.start();
    world.backend.answer = 'none';
    const error = await expectCsiError(driver.manager.publish(publishRequest('vol-1')));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(await world.store.list()).toEqual([]);

    await world.backend.issue(`team-a/${world.backend.created[0].name}`);
    await driver.manager.publish(publishRequest('vol-1'));
    expect(world.backend.created).toHaveLength(1);
    expect(Object.keys(await world.files.read('vol-1'))).toContain('tls.crt');
  });

  it('a failed mount removes the new volume', async () => {
    world.mounter.failNext('bindReadOnly');
    const error = await expectCsiError(driver.manager.publish(publishRequest('vol-1')));
    expect(error.code).toBe(status.INTERNAL);
    expect(await world.store.list()).toEqual([]);
    expect(world.files.volumeIds()).toEqual([]);
  });

  it('unpublish cancels renewal, unmounts, removes everything, and is idempotent', async () => {
    const req = publishRequest('vol-1');
    await driver.manager.publish(req);
    await driver.manager.unpublish('vol-1', req.targetPath);

    expect(driver.renewer.nextAt('vol-1')).toBeUndefined();
    expect(await world.mounter.isMountPoint(req.targetPath)).toBe(false);
    expect(await world.store.list()).toEqual([]);
    expect(world.files.volumeIds()).toEqual([]);
    expect(await driver.registry.getSingleMetricAsString('certmanager_csi_issue_requests_total')).not.toContain('vol-1');
    await expect(driver.manager.unpublish('vol-1', req.targetPath)).resolves.toBeUndefined();
  });

  it('is ready once started and the data root is a tmpfs', async () => {
    expect(await driver.manager.ready()).toEqual({ ready: true });
    await world.mounter.unmount(DATA_ROOT_PATH);
    expect(await driver.manager.ready()).toMatchObject({ ready: false, reason: expect.stringContaining('tmpfs') });
    const fresh = await startDriver(world);
    expect((await fresh.manager.ready()).ready).toBe(false);
  });
});
