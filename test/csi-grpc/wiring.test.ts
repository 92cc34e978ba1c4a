import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VOLUME_MANAGER } from '../../apps/csi-driver/src/csi/ports';
import {
  bootstrapOverFakeVolumes,
  CapturedLog,
  connectCsiClient,
  type CsiClient,
  FakeVolumeManager,
} from './harness';
import { validPublishFixture } from './sa-token';

const manager = new FakeVolumeManager();

@Module({ providers: [{ provide: VOLUME_MANAGER, useValue: manager }], exports: [VOLUME_MANAGER] })
class FakeVolumeModule {}

/** The shape main() uses: global ConfigModule for OPTIONS/LOGGER, a module exporting VOLUME_MANAGER. */
describe('CsiModule wired like the app', () => {
  let dir: string;
  let client: CsiClient;
  let close: () => Promise<void>;
  const log = new CapturedLog();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csi-wiring-'));
    const endpoint = `unix://${join(dir, 'csi.sock')}`;
    const app = await bootstrapOverFakeVolumes(
      [
        '--node-id=worker-7',
        `--endpoint=${endpoint}`,
        '--trust-domain=prod.example.com',
        '--issuer-name=spiffe-ca',
        '--log-level=5',
      ],
      { imports: [FakeVolumeModule] },
      log,
    );
    client = connectCsiClient(endpoint);
    close = async () => {
      client.close();
      await app.close();
    };
  });
  afterAll(async () => {
    await close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers with the parsed DriverOptions', async () => {
    expect((await client.node.NodeGetInfo({})).node_id).toBe('worker-7');
    expect((await client.identity.GetPluginInfo({})).name).toBe('spiffe.csi.cert-manager.io');
  });

  it('builds SPIFFE IDs in the configured trust domain and logs through the config logger', async () => {
    const { request, token } = validPublishFixture({
      namespace: 'payments',
      serviceAccount: 'api',
    });
    await client.node.NodePublishVolume(request);
    expect(manager.published.at(-1)?.identity.spiffeId).toBe(
      'spiffe://prod.example.com/ns/payments/sa/api',
    );
    expect(log.text).toContain('Node/NodePublishVolume');
    expect(log.text).not.toContain(token.split('.')[1]);
  });
});
