import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateChain, publicKeyMatches } from '@spiffe-csi/crypto';
import { failureOf } from '../csi-grpc/harness';
import { IS_ROOT, startStack, TRUST_DOMAIN, type Stack } from './stack';

const onlyRoot = it.skipIf(!IS_ROOT);
if (!IS_ROOT) console.warn('test/e2e: not root — skipping tests that need real tmpfs and bind mounts');

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]).filter((p): p is string => !!p && p.startsWith(dir));
}

describe('driver end to end: kube-sim + CA issuer + approver + driver over the CSI socket', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  onlyRoot('publishes a verified P-521 SVID, bind-mounted read-only, and unpublish removes everything', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'example-app' });
    await stack.publish(volume);

    const files = readdirSync(volume.targetPath).filter((f) => !f.startsWith('..')).sort();
    // No --source-ca-bundle, so no ca.crt; the SPIFFE bundle comes from status.ca. The socket is the Workload API.
    expect(files).toEqual(['bundle.spiffe', 'credentials.pem', 'tls.crt', 'tls.key', 'workload.sock']);
    const cert = readFileSync(join(volume.targetPath, 'tls.crt'), 'utf8');
    const key = readFileSync(join(volume.targetPath, 'tls.key'), 'utf8');
    const [leaf] = parseCertificateChain(cert);
    expect(leaf.uriSans).toEqual([`spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/example-app`]);
    expect(leaf.isCA).toBe(false);
    expect(leaf.namedCurve).toBe('P-521');
    expect(publicKeyMatches(cert, key)).toBe(true);
    expect(statSync(join(volume.targetPath, 'tls.key')).mode & 0o777).toBe(0o440);

    // openssl agrees: the key is P-521 and the chain verifies against the issuing CA.
    expect(execFileSync('openssl', ['pkey', '-in', join(volume.targetPath, 'tls.key'), '-noout', '-text'], { encoding: 'utf8' }))
      .toMatch(/NIST CURVE: P-521/);
    const caFile = join(stack.workDir, 'issuer-ca.pem');
    writeFileSync(caFile, stack.issuer.caPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', caFile, join(volume.targetPath, 'tls.crt')], { encoding: 'utf8' }))
      .toMatch(/OK/);

    // Mounted read-only: even root cannot write through the Pod's view.
    expect(mountsUnder(volume.targetPath)).toEqual([volume.targetPath]);
    expect(() => writeFileSync(join(volume.targetPath, 'evil'), 'x')).toThrow(/EROFS|read-only/);

    // The request was made as the Pod's ServiceAccount and approved by the approver.
    const requests = stack.sim.store.list('certificaterequests') as unknown as { spec: { username: string }; status: { conditions: { type: string }[] } }[];
    const mine = requests.filter((r) => r.spec.username === 'system:serviceaccount:sandbox:example-app');
    expect(mine).toHaveLength(1);
    expect(mine[0].status.conditions.map((c) => c.type)).toEqual(expect.arrayContaining(['Approved', 'Ready']));

    await stack.unpublish(volume);
    expect(mountsUnder(volume.targetPath)).toEqual([]);
    expect(existsSync(join(stack.dataRoot, volume.volumeId))).toBe(false);
    await stack.unpublish(volume); // idempotent
  });

  onlyRoot('republish with a fresh token does not issue again', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'republish' });
    await stack.publish(volume);
    const before = readFileSync(join(volume.targetPath, 'tls.crt'), 'utf8');
    await stack.publish(volume);
    expect(readFileSync(join(volume.targetPath, 'tls.crt'), 'utf8')).toBe(before);
    const requests = (stack.sim.store.list('certificaterequests') as unknown as { spec: { username: string } }[])
      .filter((r) => r.spec.username === 'system:serviceaccount:sandbox:republish');
    expect(requests).toHaveLength(1);
    await stack.unpublish(volume);
  });

  it('rejects a writable volume with the documented message and leaves nothing behind', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'rw' });
    const failure = await failureOf(stack.csi.node.NodePublishVolume({ ...volume.request, readonly: false }));
    expect(failure).toEqual({ code: 3, details: "pod.spec.volumes[].csi.readOnly must be set to 'true'" });
    expect(existsSync(join(stack.dataRoot, volume.volumeId))).toBe(false);
  });
});
