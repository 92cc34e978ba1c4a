// @peculiar/x509 (inside @spiffe-csi/crypto) needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import { InMemoryMetadataStore } from '../storage/testing/in-memory-metadata-store';
import { InMemorySvidFiles } from '../storage/testing/in-memory-svid-files';
import { TimerScheduler } from '../scheduler/scheduler';
import { CaRotation } from './ca-rotation';
import { KeyedMutex } from './keyed-mutex';
import { eventually } from '../../../../test/support/eventually';

class ManualCaSource implements CaBundleSource {
  bundle: Buffer | undefined;
  private readonly listeners = new Set<(b: Buffer) => void>();
  current() {
    return this.bundle;
  }
  onChange(listener: (b: Buffer) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(bundle: Buffer) {
    this.bundle = bundle;
    for (const l of this.listeners) l(bundle);
  }
}

describe('CaRotation', () => {
  const scheduler = new TimerScheduler();
  afterEach(() => scheduler.stop());

  it('rewrites issued volumes with the new CA, skips unissued and unchanged ones, retries failures', async () => {
    const files = new InMemorySvidFiles();
    const store = new InMemoryMetadataStore(files);
    const source = new ManualCaSource();
    await store.write({ volumeId: 'issued', targetPath: '/t1', volumeContext: {}, fsGroup: 2000 });
    await files.write('issued', { 'tls.crt': 'CERT', 'tls.key': 'KEY' }, 2000);
    await store.write({ volumeId: 'fresh', targetPath: '/t2', volumeContext: {} });
    let failNext = true;
    const writer = {
      write: async (id: string, f: Record<string, string | Buffer>, gid?: number) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        await files.write(id, f, gid);
      },
    };
    const fileNames = {
      fileNameCertificate: 'tls.crt', fileNameKey: 'tls.key', fileNameCa: 'ca.crt', fileNameCredentials: 'credentials.pem', fileNameBundle: 'bundle.spiffe',
    };
    const retryMs = 20;
    const rotation = new CaRotation(
      fileNames, source, store, files, writer, new KeyedMutex(), scheduler, pino({ level: 'silent' }), retryMs,
    );
    const stop = rotation.start();

    source.set(Buffer.from('CA-1'));
    await eventually(async () => (await files.read('issued'))['ca.crt']?.toString() === 'CA-1');
    const after = await files.read('issued');
    expect(after['tls.crt'].toString()).toBe('CERT');
    expect(after['tls.key'].toString()).toBe('KEY');
    expect(after['credentials.pem'].toString()).toBe('KEY\nCERT');
    expect(files.gidOf('issued')).toBe(2000);
    expect(await files.read('fresh')).toEqual({});

    const writes = files.writes;
    await rotation.rewriteAll(Buffer.from('CA-1'));
    expect(files.writes).toBe(writes);
    stop();
  });
});
