// Issue 11 on the real kube-apiserver: the attacks whose outcome depends on what the API server
// says about a token (real TokenRequest tokens, a forged JWT, a real SelfSubjectAccessReview under
// RBAC), and the node-side ones with the driver running as the chart's ServiceAccount.
// The mount-helper desync (attack 5) is node-local and covered in test/hostile/csi-mount-helper.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxMounter } from '../../apps/csi-driver/src/storage/mounter';
import { readMountInfo, topmostMountAt } from '../../apps/csi-driver/src/storage/mountinfo';
import { RENEWAL_TOKEN_KEY } from '../../apps/csi-driver/src/volume/managed-volume';
import { failureOf } from '../csi-grpc/harness';
import { makeServiceAccountJwt, tokensContextValue } from '../csi-grpc/sa-token';
import { SKIP_REASON, startRealStack, uniqueNamespace, type RealPod, type RealStack } from './stack';

type Request = Record<string, unknown> & { volume_id: string; target_path: string; volume_context: Record<string, string> };
const TOKENS = 'csi.storage.k8s.io/serviceAccount.tokens';
const CODE = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, FAILED_PRECONDITION: 9, UNAUTHENTICATED: 16 };
const mountAt = async (path: string) => topmostMountAt(await readMountInfo(), path);

describe.skipIf(SKIP_REASON !== '')(`driver against hostile CSI callers on a real kube-apiserver${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  let stack: RealStack;
  let victim: RealPod;
  const ns = uniqueNamespace('hostile');
  const mounter = new LinuxMounter();
  const storedToken = () => (JSON.parse(readFileSync(join(stack.dataRoot, victim.volumeId, 'metadata.json'), 'utf8')) as
    { volumeContext: Record<string, string> }).volumeContext[RENEWAL_TOKEN_KEY];
  const publish = (r: Request) => stack.csi.node.NodePublishVolume(r);
  const requestsBy = async (sa: string) => (await stack.cluster.must<{ items: { spec: { username: string } }[] }>('GET',
    `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests`)).items.filter((r) => r.spec.username === `system:serviceaccount:${ns}:${sa}`).length;

  beforeAll(async () => {
    stack = await startRealStack();
    victim = await stack.pod({ namespace: ns, serviceAccount: 'victim' });
    await stack.publish(victim);
  }, 120_000);
  afterAll(async () => {
    await mounter.close();
    await stack?.stop();
  });

  it('attack 1: the victim\'s volume_id at the attacker\'s target with its real token → FAILED_PRECONDITION', async () => {
    const token = storedToken();
    const attacker = await stack.pod({ namespace: ns, serviceAccount: 'attacker' });
    const req = { ...(await attacker.request()) as Request, volume_id: victim.volumeId };
    expect((await failureOf(publish(req))).code).toBe(CODE.FAILED_PRECONDITION);
    expect(await mountAt(attacker.targetPath)).toBeUndefined();
    expect(storedToken()).toBe(token);
    expect(await requestsBy('attacker')).toBe(0);
  });

  it('attack 1: a forged token with the victim\'s claims is refused by the real API server; the stored token stays', async () => {
    const token = storedToken();
    const req = await victim.request() as Request;
    const { namespace, serviceAccount, name, uid } = victim.pod;
    req.volume_context[TOKENS] = tokensContextValue(makeServiceAccountJwt({ namespace, serviceAccount, podName: name, podUid: uid }));
    const failure = await failureOf(publish(req));
    expect(failure.code).toBe(CODE.UNAUTHENTICATED);
    expect(storedToken()).toBe(token);
  });

  it('kubelet\'s republish with a fresh TokenRequest token passes the real review and replaces the stored one', async () => {
    const req = await victim.request() as Request;
    await publish(req);
    expect(storedToken()).toBe(JSON.parse(req.volume_context[TOKENS])[''].token);
    expect(stack.rbacRefusals()).toEqual([]);
  });

  it('attack 2: the victim\'s volume_id with a foreign mount point → FAILED_PRECONDITION, both stay', async () => {
    const foreign = (await stack.pod({ namespace: ns, serviceAccount: 'bystander' })).targetPath;
    await mounter.mountTmpfs(foreign, { size: '64k' });
    writeFileSync(join(foreign, 'precious'), 'data');
    const failure = await failureOf(stack.csi.node.NodeUnpublishVolume({ volume_id: victim.volumeId, target_path: foreign }));
    expect(failure.code).toBe(CODE.FAILED_PRECONDITION);
    expect(readFileSync(join(foreign, 'precious'), 'utf8')).toBe('data');
    expect(await mountAt(victim.targetPath)).toMatchObject({ root: `/${victim.volumeId}/data` });
    await mounter.unmount(foreign);
  });

  it('attack 4: a symlinked target → INVALID_ARGUMENT before any request', async () => {
    const pod = await stack.pod({ namespace: ns, serviceAccount: 'linked' });
    const elsewhere = join(dirname(stack.podsDir), 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    mkdirSync(dirname(dirname(pod.targetPath)), { recursive: true });
    symlinkSync(elsewhere, dirname(pod.targetPath));
    expect((await failureOf(stack.publish(pod))).code).toBe(CODE.INVALID_ARGUMENT);
    expect(await requestsBy('linked')).toBe(0);
  });

  it('attack 3: the data root cannot be unpublished; lost anyway, new keys go to a new tmpfs and republish re-issues', async () => {
    const refused = await failureOf(stack.csi.node.NodeUnpublishVolume({ volume_id: victim.volumeId, target_path: stack.dataRoot }));
    expect(refused.code).toBe(CODE.INVALID_ARGUMENT);
    expect((await mountAt(stack.dataRoot))?.fsType).toBe('tmpfs');

    const certBefore = readFileSync(join(victim.targetPath, 'tls.crt'), 'utf8');
    execFileSync('umount', ['-l', stack.dataRoot]);
    expect(await stack.csi.identity.Probe({})).toEqual({ ready: { value: false } });
    const newcomer = await stack.pod({ namespace: ns, serviceAccount: 'newcomer' });
    await stack.publish(newcomer);
    const root = await mountAt(stack.dataRoot);
    expect(root?.fsType).toBe('tmpfs');
    expect(await mountAt(newcomer.targetPath)).toMatchObject({ device: root?.device, root: `/${newcomer.volumeId}/data` });
    expect(readFileSync(join(victim.targetPath, 'tls.crt'), 'utf8')).toBe(certBefore); // the running Pod keeps its files
    await stack.publish(victim); // kubelet's republish re-issues it into the new tmpfs
    expect(await mountAt(victim.targetPath)).toMatchObject({ device: root?.device, root: `/${victim.volumeId}/data` });
    expect(readFileSync(join(victim.targetPath, 'tls.crt'), 'utf8')).not.toBe(certBefore);
    for (const pod of [victim, newcomer]) await stack.unpublish(pod);
    expect(stack.rbacRefusals()).toEqual([]);
  });
});
