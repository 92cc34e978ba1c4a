// A seeded generator of hostile NodePublishVolume / NodeUnpublishVolume requests: each one starts
// from what kubelet would send for a fresh Pod and breaks exactly one thing, so the expected status
// code follows from that one thing.
import { status } from '@grpc/grpc-js';
import type { PodSpec, PodVolume } from '../e2e/kubelet';
import { lengthDelimited, fieldKey, varint } from '../conformance/raw-grpc';
import { makeServiceAccountJwt, tokensContextValue } from '../csi-grpc/sa-token';
import { seededRandom } from '../../libs/crypto/test-support/csr-builder';

export type HostileCall =
  | { rpc: 'NodePublishVolume' | 'NodeUnpublishVolume'; request: Record<string, unknown> }
  | { rpc: 'raw'; method: string; body: Buffer };

export interface HostileCase {
  index: number;
  kind: string;
  call: HostileCall;
  /** Any of these codes is right (one, except where the gRPC layer may answer first). */
  expected: status[];
  /** Tokens made up for this case (so the log check can look for them). */
  forgedTokens: string[];
}

export interface GeneratorContext {
  pod(spec: PodSpec): PodVolume;
  mintToken(namespace: string, serviceAccount: string, opts: { podName: string; podUid: string }): string;
  podsDir: string;
}

// The same seeded PRNG as the CSR fuzz tests, so failures reproduce from the seed alone.
export { seededRandom };

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const INVALID = [status.INVALID_ARGUMENT];
const CTX = 'csi.storage.k8s.io';
const TOKENS = `${CTX}/serviceAccount.tokens`;
const FS_GROUP = 'spiffe.csi.cert-manager.io/fs-group';

interface Draft {
  volume: PodVolume;
  request: Record<string, unknown> & { volume_context: Record<string, string>;
    volume_capability: { mount: Record<string, unknown>; access_mode: unknown } };
  forged: string[];
}
type Mutator = (d: Draft, rand: Rand, ctx: GeneratorContext) => { expected?: status[]; call?: HostileCall } | void;

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const setTokens = (d: Draft, value: string) => (d.request.volume_context[TOKENS] = value);
const forge = (d: Draft, token: string) => (d.forged.push(token), setTokens(d, tokensContextValue(token)));
const claimsOf = (d: Draft) => ({ namespace: d.volume.pod.namespace, serviceAccount: d.volume.pod.serviceAccount,
  podName: d.volume.pod.name, podUid: d.volume.pod.uid });

const MUTATORS: Record<string, Mutator> = {
  'volume_id empty': (d) => void (d.request.volume_id = ''),
  'volume_id traversal': (d, r) => void (d.request.volume_id = pick(r, ['..', '.', '../etc', 'a/b', '..\\x', 'x\0y', '/abs', '%2e%2e', 'csi id'])),
  'volume_id over-long': (d, r) => void (d.request.volume_id = 'a'.repeat(254 + Math.floor(r() * 4000))),
  'target_path traversal': (d, r, ctx) => void (d.request.target_path = pick(r, [
    `${ctx.podsDir}/../../etc`, 'relative/mount', '/', `${d.volume.targetPath}/`, `${ctx.podsDir}//x`,
    `${d.volume.targetPath}/./x`, `${d.volume.targetPath}\0`, '', `${d.volume.targetPath}/..`])),
  // Issue 11: well-formed paths that are not where kubelet puts this Pod's volume.
  'target_path unconfined': (d, r, ctx) => {
    const csiDir = `${ctx.podsDir}/${d.volume.pod.uid}/volumes/kubernetes.io~csi`;
    d.request.target_path = pick(r, [`${ctx.podsDir}/00000000-0000-4000-8000-999999999999/volumes/kubernetes.io~csi/spiffe/mount`,
      `${ctx.podsDir}/${d.volume.pod.uid}/volumes/kubernetes.io~secret/spiffe/mount`, `${csiDir}/spiffe/mount/deeper`,
      `${csiDir}/Spiffe_Vol/mount`, `${csiDir}/spiffe`, `${ctx.podsDir}/${d.volume.pod.uid}/mount`, '/etc/kubernetes/manifests']);
  },
  'target_path over-long': (d, r) => void (d.request.target_path = `/${'a/'.repeat(2049 + Math.floor(r() * 500))}m`),
  'volume_context huge': (d, r) => {
    if (r() < 0.5) d.request.volume_context.junk = 'x'.repeat(65 * 1024 + Math.floor(r() * 100_000));
    else for (let i = 0; i < 3000; i++) d.request.volume_context[`k${i}`] = 'v'.repeat(20);
  },
  'fs-group attribute invalid': (d, r) => void (d.request.volume_context[FS_GROUP] =
    pick(r, ['0', '-1', 'abc', '4294967296', '1e3', ' 5', '1.5', '', '99999999999', '0x10', '+7'])),
  'volume_mount_group invalid': (d, r) => void (d.request.volume_capability.mount.volume_mount_group = pick(r, ['0', '-5', 'x', '4294967296', '1 2'])),
  'token map malformed': (d, r) => void setTokens(d, pick(r, ['not json', '[]', '{}', '"x"', '{"":null}', '{"":{"token":""}}',
    '{"":{"token":5}}', '{"other-aud":{"token":"a.b.c"}}', JSON.stringify({ '': { token: 'a.b.c', expirationTimestamp: 'yesterday' } })])),
  'token unreadable': (d, r) => {
    const payload = b64({ 'kubernetes.io': { namespace: d.volume.pod.namespace } });
    forge(d, pick(r, ['x', 'a.b', 'a.b.c.d', `${b64({ alg: 'none' })}.${payload}.`, `${b64({ alg: 'HS256' })}.${payload}.sig`,
      `${b64({ alg: 'RS256' })}.${b64('not json')}.sig`, `${b64({ alg: 'RS256' })}.${b64({})}.sig`]));
  },
  'token for another namespace': (d, r, ctx) => {
    const ns = pick(r, ['kube-system', 'victim', 'default']);
    setTokens(d, tokensContextValue(ctx.mintToken(ns, d.volume.pod.serviceAccount, { podName: d.volume.pod.name, podUid: d.volume.pod.uid })));
  },
  'token for another pod or account': (d, r) => {
    const which = pick(r, ['serviceAccount', 'podName', 'podUid'] as const);
    forge(d, makeServiceAccountJwt({ ...claimsOf(d), [which]: `other-${Math.floor(r() * 1e6)}` }));
  },
  'token forged (claims right, signature wrong)': (d) => {
    forge(d, makeServiceAccountJwt(claimsOf(d)));
    return { expected: [status.UNAUTHENTICATED] }; // only the API server can tell
  },
  'token expired': (d, r) => void forge(d, makeServiceAccountJwt({ ...claimsOf(d), exp: Math.floor(Date.now() / 1000) - 1 - Math.floor(r() * 1e6) })),
  'not readonly': (d) => void (d.request.readonly = false),
  'not ephemeral': (d, r) => void (d.request.volume_context[`${CTX}/ephemeral`] = pick(r, ['false', '', 'TRUE', 'yes'])),
  'block capability': (d) => void (d.request.volume_capability = { block: {}, access_mode: d.request.volume_capability.access_mode } as never),
  'unpublish invalid': (d, r, ctx) => ({ call: { rpc: 'NodeUnpublishVolume', request: pick(r, [
    { volume_id: '..', target_path: d.volume.targetPath }, { volume_id: d.volume.volumeId, target_path: 'rel/path' },
    { volume_id: d.volume.volumeId, target_path: `${ctx.podsDir}/../x` }, { volume_id: '', target_path: d.volume.targetPath },
    { volume_id: 'a'.repeat(300), target_path: d.volume.targetPath }, { volume_id: d.volume.volumeId, target_path: '' }]) } }),
  'unpublish unknown volume': (d) => ({ expected: [status.OK],
    call: { rpc: 'NodeUnpublishVolume', request: { volume_id: d.volume.volumeId, target_path: d.volume.targetPath } } }),
  'wrong wire types': (d, r) => {
    const asVarint = (field: number) => Buffer.concat([Buffer.from([fieldKey(field, 0)]), varint(Math.floor(r() * 1e6))]);
    const body = pick(r, [
      asVarint(1), // volume_id as a number
      Buffer.concat([lengthDelimited(1, Buffer.from('csi-x')), lengthDelimited(6, Buffer.from('yes'))]), // readonly as a string
      lengthDelimited(8, Buffer.from([0xff, 0xff, 0xff])), // volume_context entry that is no message
      Buffer.concat([Buffer.from([fieldKey(4, 2)]), varint(1000), Buffer.from('short')]), // length past the end
      Buffer.from(Array.from({ length: 64 }, () => Math.floor(r() * 256))), // noise
    ]);
    const method = `/csi.v1.Node/${pick(r, ['NodePublishVolume', 'NodeUnpublishVolume'])}`;
    // Undecodable bytes are refused by gRPC itself (INTERNAL); decodable nonsense by the driver.
    return { expected: [status.INVALID_ARGUMENT, status.INTERNAL], call: { rpc: 'raw', method, body } };
  },
};

export const HOSTILE_KINDS = Object.keys(MUTATORS);

export function generateHostileRequests(count: number, seed: number, ctx: GeneratorContext): HostileCase[] {
  const rand = seededRandom(seed);
  const cases: HostileCase[] = [];
  for (let index = 0; index < count; index++) {
    const kind = HOSTILE_KINDS[index % HOSTILE_KINDS.length]; // every kind, evenly; the details vary
    const volume = ctx.pod({ namespace: 'hostile', serviceAccount: `sa-${index}`, name: `pod-${index}`,
      uid: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}` });
    const draft = { volume, request: volume.request, forged: [] } as unknown as Draft;
    const outcome = MUTATORS[kind](draft, rand, ctx) ?? {};
    cases.push({
      index, kind, forgedTokens: draft.forged,
      expected: outcome.expected ?? INVALID,
      call: outcome.call ?? { rpc: 'NodePublishVolume', request: draft.request },
    });
  }
  return cases;
}
