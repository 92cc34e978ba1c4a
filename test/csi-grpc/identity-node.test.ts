import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import packageJson from '../../package.json';
import { failureOf, type RunningDriver, startDriver } from './harness';

describe('CSI Identity and Node info over a unix socket', () => {
  let driver: RunningDriver;
  beforeAll(async () => {
    driver = await startDriver();
  });
  afterAll(() => driver.stop());
  beforeEach(() => {
    driver.manager.readiness = { ready: true };
  });

  it('GetPluginInfo returns the driver name and the package version', async () => {
    const info = await driver.client.identity.GetPluginInfo({});
    expect(info).toEqual({
      name: 'spiffe.csi.cert-manager.io',
      vendor_version: packageJson.version,
      manifest: {},
    });
  });

  it('GetPluginCapabilities advertises no services (node-only driver)', async () => {
    expect(await driver.client.identity.GetPluginCapabilities({})).toEqual({ capabilities: [] });
  });

  it('Probe reports the volume manager readiness', async () => {
    expect(await driver.client.identity.Probe({})).toEqual({ ready: { value: true } });
    driver.manager.readiness = { ready: false, reason: 'informer not synced' };
    expect(await driver.client.identity.Probe({})).toEqual({ ready: { value: false } });
    expect(driver.log.text).toContain('informer not synced');
  });

  it('NodeGetInfo returns the node ID', async () => {
    const info = await driver.client.node.NodeGetInfo({});
    expect(info.node_id).toBe('node-a');
    expect(info.accessible_topology).toBeNull();
  });

  it('NodeGetCapabilities advertises VOLUME_MOUNT_GROUP only', async () => {
    const caps = await driver.client.node.NodeGetCapabilities({});
    expect(caps).toEqual({ capabilities: [{ rpc: { type: 'VOLUME_MOUNT_GROUP' }, type: 'rpc' }] });
  });

  it.each([
    ['NodeStageVolume', { volume_id: 'v', staging_target_path: '/s' }, 'STAGE_UNSTAGE_VOLUME'],
    ['NodeUnstageVolume', { volume_id: 'v', staging_target_path: '/s' }, 'STAGE_UNSTAGE_VOLUME'],
    ['NodeGetVolumeStats', { volume_id: 'v', volume_path: '/p' }, 'GET_VOLUME_STATS'],
    ['NodeExpandVolume', { volume_id: 'v', volume_path: '/p' }, 'EXPAND_VOLUME'],
  ] as const)('%s answers UNIMPLEMENTED', async (rpc, request, capability) => {
    const failure = await failureOf(driver.client.node[rpc](request));
    expect(failure).toEqual({
      code: status.UNIMPLEMENTED,
      details: `${rpc} is not supported: this driver does not advertise ${capability}`,
    });
  });
});
