import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryMetadataStore } from './testing/in-memory-metadata-store';
import { FileMetadataStore } from './metadata-store';
import { InMemorySvidFiles } from './testing/in-memory-svid-files';
import { REDACTED } from '@spiffe-csi/config';
import { VolumeMetadata, redactMetadata } from './volume-metadata';

const TOKEN_KEY = 'csi.storage.k8s.io/serviceAccount.tokens';

function meta(volumeId: string, extra: Partial<VolumeMetadata> = {}): VolumeMetadata {
  return {
    volumeId,
    targetPath: `/var/lib/kubelet/pods/p/volumes/kubernetes.io~csi/${volumeId}/mount`,
    volumeContext: { [TOKEN_KEY]: '{"":{"token":"eyJhbGciOi.secret"}}', 'csi.storage.k8s.io/pod.name': 'web-0' },
    ...extra,
  };
}

describe('FileMetadataStore', () => {
  let root: string;
  let corrupt: [string, string][];
  let store: FileMetadataStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'csi-meta-'));
    corrupt = [];
    store = new FileMetadataStore(root, (id, reason) => corrupt.push([id, reason]));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips metadata in <root>/<id>/metadata.json with mode 0600 and no temp files left', async () => {
    const m = meta('csi-abc', { fsGroup: 1541, spiffeId: 'spiffe://cluster.local/ns/a/sa/b', nextIssuanceTime: '2030-01-01T00:00:00Z' });
    await store.write(m);
    expect(await store.read('csi-abc')).toEqual(m);
    expect((await stat(join(root, 'csi-abc', 'metadata.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(join(root, 'csi-abc'))).toEqual(['metadata.json']);
    await store.write({ ...m, lastRequestName: 'req-2' });
    expect((await store.read('csi-abc'))?.lastRequestName).toBe('req-2');
  });

  it('keeps 0600 under a permissive umask', async () => {
    const old = process.umask(0);
    try {
      await store.write(meta('v1'));
    } finally {
      process.umask(old);
    }
    expect((await stat(join(root, 'v1', 'metadata.json'))).mode & 0o777).toBe(0o600);
  });

  it('treats corrupt or mismatched metadata as absent and reports why', async () => {
    await mkdir(join(root, 'bad-json'));
    await writeFile(join(root, 'bad-json', 'metadata.json'), '{"volumeId":');
    await mkdir(join(root, 'bad-schema'));
    await writeFile(join(root, 'bad-schema', 'metadata.json'), JSON.stringify({ ...meta('bad-schema'), fsGroup: -3 }));
    await mkdir(join(root, 'moved'));
    await writeFile(join(root, 'moved', 'metadata.json'), JSON.stringify(meta('other')));

    expect(await store.read('bad-json')).toBeUndefined();
    expect(await store.read('bad-schema')).toBeUndefined();
    expect(await store.read('moved')).toBeUndefined();
    expect(await store.read('absent')).toBeUndefined();
    expect(corrupt).toEqual([
      ['bad-json', 'not valid JSON'],
      ['bad-schema', 'fsGroup must be an integer in 1..4294967295'],
      ['moved', 'volumeId "other" does not match its directory'],
    ]);
  });

  it('refuses to write invalid metadata or path-like volume IDs', async () => {
    await expect(store.write({ ...meta('v'), targetPath: '' })).rejects.toThrow(/targetPath must be a non-empty string/);
    await expect(store.write(meta('../escape'))).rejects.toThrow(/invalid volume ID/);
    await expect(store.read('..')).rejects.toThrow(/invalid volume ID/);
    expect(await readdir(root)).toEqual([]);
  });

  it('lists volumes with metadata and removes a whole volume idempotently', async () => {
    await store.write(meta('b'));
    await store.write(meta('a'));
    await mkdir(join(root, 'no-metadata'));
    await writeFile(join(root, 'stray-file'), 'x');
    expect(await store.list()).toEqual(['a', 'b']);
    await mkdir(join(root, 'a', 'data'));
    await store.remove('a');
    await store.remove('a');
    expect(await readdir(root)).toEqual(['b', 'no-metadata', 'stray-file']);
  });

  it('cleanupOrphans deletes volume dirs without valid metadata (crash mid-publish) and keeps the rest', async () => {
    await store.write(meta('keep'));
    await mkdir(join(root, 'half-published', 'data'), { recursive: true });
    await writeFile(join(root, 'half-published', 'data', 'tls.key'), 'k');
    await mkdir(join(root, 'corrupt'));
    await writeFile(join(root, 'corrupt', 'metadata.json'), 'null');
    expect(await store.cleanupOrphans()).toEqual(['corrupt', 'half-published']);
    expect(await readdir(root)).toEqual(['keep']);
    expect(await store.cleanupOrphans()).toEqual([]);
  });

  it('lists nothing when the data root does not exist yet', async () => {
    const missing = new FileMetadataStore(join(root, 'missing'));
    expect(await missing.list()).toEqual([]);
    expect(await missing.cleanupOrphans()).toEqual([]);
  });
});

describe('InMemoryMetadataStore', () => {
  it('validates like the file store, hands out copies and cleans up orphaned file sets', async () => {
    const files = new InMemorySvidFiles();
    const store = new InMemoryMetadataStore(files);
    await store.write(meta('v1'));
    const copy = await store.read('v1');
    copy!.volumeContext.x = 'mutated';
    expect((await store.read('v1'))?.volumeContext.x).toBeUndefined();
    await expect(store.write({ ...meta('v2'), nextIssuanceTime: 'soon' })).rejects.toThrow(/RFC 3339/);

    await files.write('v1', { 'tls.crt': 'c' });
    await files.write('orphan', { 'tls.crt': 'c' });
    expect(await store.cleanupOrphans()).toEqual(['orphan']);
    expect(files.volumeIds()).toEqual(['v1']);
    await store.remove('v1');
    expect(await store.list()).toEqual([]);
    expect(files.volumeIds()).toEqual([]);
  });
});

describe('redactMetadata', () => {
  it('hides the SA token but keeps what helps debugging, without touching the original', () => {
    const original = meta('v1');
    const redacted = redactMetadata(original);
    expect(redacted.volumeContext[TOKEN_KEY]).toBe(REDACTED);
    expect(redacted.volumeContext['csi.storage.k8s.io/pod.name']).toBe('web-0');
    expect(JSON.stringify(redacted)).not.toContain('secret');
    expect(original.volumeContext[TOKEN_KEY]).toContain('secret');
  });
});
