// The CSI v1 spec's rules for the Identity and Node services, checked against the BUILT driver the
// way kubernetes-csi/csi-test's sanity suite does (identity.go, node.go), minus what an
// ephemeral-only, node-only driver does not offer (staging, stats, expansion, controller).
import { existsSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../csi-grpc/harness';
import { IS_ROOT, startStack, type Stack } from '../e2e/stack';
import { mountsUnder, readPair, requestsCreatedBy, volumeDirs } from '../faults/volume-checks';
import { rawUnary } from './raw-grpc';

if (!IS_ROOT) console.warn('test/conformance: not root — skipping (the built driver needs to mount its tmpfs)');

// CSI: "The name MUST follow domain name notation format ... no more than 63 characters".
const PLUGIN_NAME = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

describe.skipIf(!IS_ROOT)('CSI conformance: Identity and Node services of the built driver', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ driverArgs: ['--log-level=10'] });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  describe('Identity', () => {
    it('GetPluginInfo: a domain-style name and a non-empty vendor_version', async () => {
      const info = await stack.csi.identity.GetPluginInfo({});
      expect(info.name).toMatch(PLUGIN_NAME);
      expect(info.vendor_version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('GetPluginCapabilities: every advertised service has a known type, and no CONTROLLER_SERVICE', async () => {
      const { capabilities } = await stack.csi.identity.GetPluginCapabilities({}) as { capabilities: { service?: { type: string } }[] };
      for (const c of capabilities) expect(['VOLUME_ACCESSIBILITY_CONSTRAINTS', 'GROUP_CONTROLLER_SERVICE']).toContain(c.service?.type);
      expect(capabilities.some((c) => c.service?.type === 'CONTROLLER_SERVICE')).toBe(false);
    });

    it('Probe: OK with ready=true once the driver serves', async () => {
      expect(await stack.csi.identity.Probe({})).toEqual({ ready: { value: true } });
    });
  });

  describe('Node info', () => {
    it('NodeGetCapabilities: only known RPC types, never UNKNOWN', async () => {
      const { capabilities } = await stack.csi.node.NodeGetCapabilities({}) as { capabilities: { rpc?: { type: string } }[] };
      expect(capabilities.length).toBeGreaterThan(0);
      for (const c of capabilities) {
        expect(c.rpc?.type).toBeDefined();
        expect(c.rpc?.type).not.toBe('UNKNOWN');
      }
    });

    it('NodeGetInfo: a non-empty node_id and a non-negative max_volumes_per_node', async () => {
      const info = await stack.csi.node.NodeGetInfo({});
      expect(info.node_id).toBe('node-a');
      expect(Number(info.max_volumes_per_node)).toBeGreaterThanOrEqual(0);
    });
  });

  describe('NodePublishVolume / NodeUnpublishVolume', () => {
    const required: [string, (r: Record<string, unknown>) => void][] = [
      ['volume_id', (r) => delete r.volume_id],
      ['target_path', (r) => delete r.target_path],
      ['volume_capability', (r) => delete r.volume_capability],
    ];
    it.each(required)('publish without %s → INVALID_ARGUMENT, nothing created', async (field, drop) => {
      const volume = stack.pod({ namespace: 'conformance', serviceAccount: `no-${field.replace('_', '-')}` });
      const request = volume.request;
      drop(request);
      const failure = await failureOf(stack.csi.node.NodePublishVolume(request));
      expect(failure.code).toBe(status.INVALID_ARGUMENT);
      expect(failure.details).toContain(field);
      expect(existsSync(volume.targetPath)).toBe(false);
    });

    it.each(['volume_id', 'target_path'])('unpublish without %s → INVALID_ARGUMENT', async (field) => {
      const request: Record<string, string> = { volume_id: 'csi-abc', target_path: `${stack.podsDir}/x/mount` };
      delete request[field];
      const failure = await failureOf(stack.csi.node.NodeUnpublishVolume(request));
      expect(failure.code).toBe(status.INVALID_ARGUMENT);
      expect(failure.details).toContain(field);
    });

    it('unpublish of a volume the driver never saw → OK', async () => {
      const volume = stack.pod({ namespace: 'conformance', serviceAccount: 'never-published' });
      expect(await stack.unpublish(volume)).toEqual({});
    });

    it('publish is idempotent: the same request twice → OK, one mount, same files, one issuance', async () => {
      const volume = stack.pod({ namespace: 'conformance', serviceAccount: 'twice' });
      expect(await stack.publish(volume)).toEqual({});
      const first = readPair(volume.targetPath);
      expect(await stack.publish(volume)).toEqual({});
      expect(readPair(volume.targetPath)).toEqual(first);
      expect(mountsUnder(volume.targetPath)).toEqual([volume.targetPath]);
      const [a, b] = await Promise.all([stack.publish(volume), stack.publish(volume)]); // concurrent too
      expect([a, b]).toEqual([{}, {}]);
      expect(mountsUnder(volume.targetPath)).toEqual([volume.targetPath]);
      expect(requestsCreatedBy(stack, 'twice', 'conformance')).toBe(1);
      await stack.unpublish(volume);
    });

    it('unpublish is idempotent and removes the mount and the volume\'s data', async () => {
      const volume = stack.pod({ namespace: 'conformance', serviceAccount: 'unpublish-twice' });
      await stack.publish(volume);
      expect(await stack.unpublish(volume)).toEqual({});
      expect(mountsUnder(volume.targetPath)).toEqual([]);
      // CSI: "The SP MUST delete the file or directory it created at this path."
      expect(existsSync(volume.targetPath)).toBe(false);
      expect(volumeDirs(stack.dataRoot)).not.toContain(volume.volumeId);
      expect(await stack.unpublish(volume)).toEqual({});
    });
  });

  describe('unsupported RPCs → UNIMPLEMENTED', () => {
    it.each([
      ['NodeStageVolume', { volume_id: 'v', staging_target_path: '/s' }],
      ['NodeUnstageVolume', { volume_id: 'v', staging_target_path: '/s' }],
      ['NodeGetVolumeStats', { volume_id: 'v', volume_path: '/p' }],
      ['NodeExpandVolume', { volume_id: 'v', volume_path: '/p' }],
    ] as const)('%s', async (rpc, request) => {
      expect((await failureOf(stack.csi.node[rpc](request))).code).toBe(status.UNIMPLEMENTED);
    });

    it.each([
      '/csi.v1.Controller/ControllerGetCapabilities',
      '/csi.v1.Controller/CreateVolume',
      '/csi.v1.Controller/DeleteVolume',
      '/csi.v1.Controller/ControllerPublishVolume',
      '/csi.v1.GroupController/GroupControllerGetCapabilities',
    ])('%s', async (method) => {
      expect((await rawUnary(`unix://${stack.socketPath}`, method)).code).toBe(status.UNIMPLEMENTED);
    });
  });
});
