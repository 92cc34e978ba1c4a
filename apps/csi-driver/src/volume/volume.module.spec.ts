// @peculiar/x509 (inside @spiffe-csi/crypto) needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { ConfigModule, parseDriverOptions } from '@spiffe-csi/config';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CERTIFICATE_REQUEST_GATEWAY, ISSUANCE_EVENTS, ISSUER_SOURCE, TOKEN_VERIFIER, type IssuerSource } from '../issuance/ports';
import { FakeRequestBackend } from '../issuance/testing/fake-request-backend';
import { TestCa } from '../issuance/testing/test-ca';
import { StorageModule } from '../storage/storage.module';
import { createInMemoryStorage, useInMemoryStorage } from '../storage/testing/in-memory-storage';
import { SVID_READER } from '../storage/ports';
import type { InMemorySvidFiles } from '../storage/testing/in-memory-svid-files';
import { publishRequest, RecordedEvents } from './testing/harness';
import { VOLUME_MANAGER, type VolumeManager } from './volume-manager';
import { VolumeModule } from './volume.module';

describe('VolumeModule', () => {
  it('wires a working manager from options, storage and the overridable ports', async () => {
    const options = parseDriverOptions([
      '--node-id=node-1', '--endpoint=unix:///tmp/csi.sock', '--issuer-name=spiffe-ca',
      '--data-root=/csi-data', '--key-algorithm=ecdsa-p256',
    ]);
    const backend = new FakeRequestBackend(await TestCa.create());
    const builder = Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(options, pino({ level: 'silent' })),
        StorageModule.forRoot({ dataRoot: '/csi-data' }),
        VolumeModule.forRoot({
          overrides: [
            { provide: CERTIFICATE_REQUEST_GATEWAY, useValue: backend },
            { provide: TOKEN_VERIFIER, useValue: backend },
            { provide: ISSUANCE_EVENTS, useValue: new RecordedEvents() },
          ],
        }),
      ],
    });
    const moduleRef = await useInMemoryStorage(builder, createInMemoryStorage(), '/csi-data').compile();
    const app = await moduleRef.init();
    try {
      const manager = app.get<VolumeManager>(VOLUME_MANAGER);
      expect(await manager.ready()).toEqual({ ready: true });
      expect(app.get<IssuerSource>(ISSUER_SOURCE).current()).toEqual({ name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });

      await manager.publish(publishRequest('vol-1'));
      const files = await app.get<InMemorySvidFiles>(SVID_READER).read('vol-1');
      expect(Object.keys(files).sort()).toEqual(['bundle.spiffe', 'credentials.pem', 'tls.crt', 'tls.key']);
      expect([...backend.objects.values()][0].spec.issuerRef.name).toBe('spiffe-ca');
    } finally {
      await app.close();
    }
  });
});
