import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodVolume } from './kubelet';
import { publishOnceBundleRead } from './source-bundle';
import { IS_ROOT, startStack, type Stack } from './stack';
import { eventually } from '../support/eventually';

/** A CA bundle laid out like a mounted Secret, so rotation is a ..data symlink swap. */
class ProjectedSecret {
  private generation = 0;
  constructor(readonly dir: string) {}
  get path(): string {
    return join(this.dir, 'ca.crt');
  }
  write(contents: string): void {
    const payload = `..gen_${++this.generation}`;
    mkdirSync(join(this.dir, payload));
    writeFileSync(join(this.dir, payload, 'ca.crt'), contents);
    symlinkSync(payload, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.generation === 1) symlinkSync('..data/ca.crt', this.path);
  }
}

describe.skipIf(!IS_ROOT)('driver features: CA bundle, fs-group, file names, annotations', () => {
  let stack: Stack;
  let secretDir: string;
  let secret: ProjectedSecret;
  let otherCa: string;
  beforeAll(async () => {
    secretDir = mkdtempSync(join(tmpdir(), 'spiffe-ca-secret-'));
    secret = new ProjectedSecret(secretDir);
    // Another CA, from the openssl CLI: the first bundle (before the issuer's CA is known) and the
    // one added by the rotation.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=next CA', '-keyout', join(secretDir, 'other.key'), '-out', join(secretDir, 'other.pem')], { stdio: 'ignore' });
    otherCa = readFileSync(join(secretDir, 'other.pem'), 'utf8');
    secret.write(otherCa);
    stack = await startStack({
      driverArgs: [
        `--source-ca-bundle=${secret.path}`,
        '--file-name-certificate=svid.pem', '--file-name-key=svid_key.pem', '--file-name-ca=bundle.pem',
        '--extra-certificate-request-annotations=team=payments,cost-centre=42',
      ],
    });
    // The SVIDs must verify against the source bundle (X.509-SVID rule B14): it holds the issuer's CA.
    secret.write(stack.issuer.caPem);
  }, 120_000);

  const publish = (volume: PodVolume) => publishOnceBundleRead(stack, volume);
  afterAll(async () => {
    await stack?.stop();
    rmSync(secretDir, { recursive: true, force: true });
  });

  it('writes the configured file names, the CA bundle, and rewrites it in every volume on rotation', async () => {
    const a = stack.pod({ namespace: 'sandbox', serviceAccount: 'ca-a' });
    const b = stack.pod({ namespace: 'sandbox', serviceAccount: 'ca-b' });
    await publish(a);
    await publish(b);
    for (const v of [a, b]) {
      expect(readFileSync(join(v.targetPath, 'bundle.pem'), 'utf8')).toBe(stack.issuer.caPem);
      expect(JSON.parse(readFileSync(join(v.targetPath, 'bundle.spiffe'), 'utf8')).keys).toHaveLength(1);
      expect(statSync(join(v.targetPath, 'svid_key.pem')).isFile()).toBe(true);
      expect(statSync(join(v.targetPath, 'svid.pem')).isFile()).toBe(true);
    }
    const keyBefore = readFileSync(join(a.targetPath, 'svid_key.pem'), 'utf8');

    secret.write(stack.issuer.caPem + otherCa); // a rotation's first step: the next CA is trusted too
    for (const v of [a, b]) {
      await eventually(() =>
        readFileSync(join(v.targetPath, 'bundle.pem'), 'utf8').includes(otherCa) ? true : undefined);
      expect(JSON.parse(readFileSync(join(v.targetPath, 'bundle.spiffe'), 'utf8')).keys).toHaveLength(2);
    }
    // Rotation of the CA alone keeps the SVID: same key beside the new bundle.
    expect(readFileSync(join(a.targetPath, 'svid_key.pem'), 'utf8')).toBe(keyBefore);
    await stack.unpublish(a);
    await stack.unpublish(b);
  }, 30_000);

  it('gives the files the Pod\'s group: the fs-group attribute wins over volume_mount_group', async () => {
    const byAttribute = stack.pod({ namespace: 'sandbox', serviceAccount: 'fsgroup-attr', fsGroup: 2000,
      volumeAttributes: { 'spiffe.csi.cert-manager.io/fs-group': '1541' } });
    const byMountGroup = stack.pod({ namespace: 'sandbox', serviceAccount: 'fsgroup-pod', fsGroup: 3000 });
    const none = stack.pod({ namespace: 'sandbox', serviceAccount: 'fsgroup-none' });
    for (const v of [byAttribute, byMountGroup, none]) await publish(v);
    const owner = (v: typeof none) => {
      const st = statSync(join(v.targetPath, 'svid_key.pem'));
      return { gid: st.gid, mode: st.mode & 0o777 };
    };
    expect(owner(byAttribute)).toEqual({ gid: 1541, mode: 0o440 });
    expect(owner(byMountGroup)).toEqual({ gid: 3000, mode: 0o440 });
    expect(owner(none)).toEqual({ gid: 0, mode: 0o440 });
    for (const v of [byAttribute, byMountGroup, none]) await stack.unpublish(v);
  });

  it('annotates requests with the identity and the extra annotations, labels them, and owns them by the Pod', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'annotated' });
    await publish(volume);
    const request = (stack.sim.store.list('certificaterequests') as unknown as {
      metadata: { annotations: Record<string, string>; labels: Record<string, string>;
        ownerReferences: { kind: string; name: string; uid: string }[] };
      spec: { username: string; usages: string[]; isCA: boolean; duration: string; issuerRef: object };
    }[]).find((r) => r.spec.username === 'system:serviceaccount:sandbox:annotated');
    expect(request?.metadata.annotations).toMatchObject({
      'spiffe.csi.cert-manager.io/identity': 'spiffe://example.org/ns/sandbox/sa/annotated',
      team: 'payments', 'cost-centre': '42',
    });
    expect(Object.keys(request?.metadata.labels ?? {})).toEqual(
      expect.arrayContaining(['csi.cert-manager.io/node-id-hash', 'csi.cert-manager.io/volume-id-hash']));
    expect(request?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Pod', name: volume.pod.name, uid: volume.pod.uid }),
    ]);
    expect(request?.spec.isCA).toBe(false);
    expect([...(request?.spec.usages ?? [])].sort()).toEqual(
      ['client auth', 'digital signature', 'key encipherment', 'server auth']);
    expect(request?.spec.issuerRef).toEqual({ name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    await stack.unpublish(volume);
  });
});
