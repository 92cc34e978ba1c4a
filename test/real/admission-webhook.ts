// A stand-in for cert-manager's admission webhook, served to the REAL kube-apiserver over HTTPS on
// loopback: the mutating part stamps spec.username/uid/groups/extra from the AdmissionReview's
// userInfo on CREATE; the validating part keeps the spec immutable and the approval conditions
// one-way (kube-sim's webhook rules, reused), and, like cert-manager, lets only users allowed to
// `approve` the issuer's `signers` resource set Approved/Denied (a SubjectAccessReview).
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UserInfo } from '../kube-sim/auth';
import { findType, type KubeObject } from '../kube-sim/resources';
import { ApiError } from '../kube-sim/status';
import { admitCreate, admitUpdate } from '../kube-sim/webhook';
import { createSelfSignedCa, issueServingCert } from '../kube-sim/x509-util';
import type { RealCluster } from './cluster';

const CERTIFICATE_REQUESTS = findType('cert-manager.io', 'v1', 'certificaterequests')!;
const RULE = { apiGroups: ['cert-manager.io'], apiVersions: ['v1'], scope: 'Namespaced' };

interface AdmissionRequest {
  uid: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  subResource?: string;
  userInfo: UserInfo;
  object?: KubeObject;
  oldObject?: KubeObject;
}
type Verdict = { allowed: true; patch?: unknown[] } | { allowed: false; code: number; message: string };

export interface AdmissionWebhook {
  url: string;
  caPem: string;
  /** Names of the two webhook configurations it registered. */
  configurationName: string;
  stop(): Promise<void>;
}

export async function startAdmissionWebhook(cluster: RealCluster): Promise<AdmissionWebhook> {
  const ca = await createSelfSignedCa('csi-driver-spiffe test webhook CA', 2);
  const serving = await issueServingCert(ca, '127.0.0.1');
  const decide = (path: string, req: AdmissionRequest) =>
    path === '/mutate' ? mutate(req) : validate(req, (user, ref, ns) => mayApprove(cluster, user, ref, ns));
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => void serve(req, res, decide));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configurationName = 'csi-driver-spiffe-test-cert-manager-webhook';
  await register(cluster, configurationName, url, ca.certPem);
  return { url, caPem: ca.certPem, configurationName, stop: () => closeServer(server) };
}

async function serve(req: IncomingMessage, res: ServerResponse, decide: (path: string, r: AdmissionRequest) => Promise<Verdict> | Verdict) {
  let review: { apiVersion: string; request: AdmissionRequest };
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    res.writeHead(400).end();
    return;
  }
  let verdict: Verdict;
  try {
    // The apiserver appends ?timeout=10s to the configured URL.
    verdict = await decide(new URL(req.url ?? '/', 'https://webhook').pathname, review.request);
  } catch (e) {
    verdict = { allowed: false, code: 500, message: `webhook error: ${(e as Error).message}` };
  }
  const response = verdict.allowed
    ? { uid: review.request.uid, allowed: true,
      ...(verdict.patch ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(verdict.patch)).toString('base64') } : {}) }
    : { uid: review.request.uid, allowed: false, status: { code: verdict.code, message: verdict.message } };
  res.writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response }));
}

const denied = (e: unknown): Verdict => {
  // kube-sim's webhook says who denied; here the real apiserver adds that prefix itself.
  if (e instanceof ApiError) return { allowed: false, code: e.code, message: e.message.replace(/^admission webhook "[^"]+" denied the request: /, '') };
  throw e;
};

function mutate(req: AdmissionRequest): Verdict {
  if (req.operation !== 'CREATE' || !req.object) return { allowed: true };
  try {
    const mutated = admitCreate(CERTIFICATE_REQUESTS, req.object, req.userInfo);
    return { allowed: true, patch: [{ op: 'add', path: '/spec', value: mutated.spec }] }; // add replaces an existing member
  } catch (e) {
    return denied(e);
  }
}

type ApprovalCheck = (user: UserInfo, issuerRef: Record<string, string>, namespace: string) => Promise<boolean>;

async function validate(req: AdmissionRequest, mayApproveFor: ApprovalCheck): Promise<Verdict> {
  if (req.operation !== 'UPDATE' || !req.object || !req.oldObject) return { allowed: true };
  try {
    admitUpdate(CERTIFICATE_REQUESTS, req.object, req.oldObject);
  } catch (e) {
    return denied(e);
  }
  if (!setsDecision(req.object, req.oldObject)) return { allowed: true };
  const ref = ((req.object.spec as { issuerRef?: Record<string, string> }).issuerRef) ?? {};
  if (await mayApproveFor(req.userInfo, ref, req.object.metadata.namespace ?? '')) return { allowed: true };
  return {
    allowed: false, code: 403,
    message: `admission webhook "webhook.cert-manager.io" denied the request: status.conditions: Forbidden: user "${req.userInfo.username}" does not have permissions to set approved/denied conditions for issuer ${JSON.stringify(ref)}`,
  };
}

function setsDecision(next: KubeObject, old: KubeObject): boolean {
  const types = (o: KubeObject) => new Set(((o.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).map((c) => c.type));
  const before = types(old);
  return [...types(next)].some((t) => (t === 'Approved' || t === 'Denied') && !before.has(t));
}

/** cert-manager's check: `approve` on signers named "<kind plural>.<group>/[<ns>.]<name>" or the "*" form. */
async function mayApprove(cluster: RealCluster, user: UserInfo, ref: Record<string, string>, namespace: string): Promise<boolean> {
  const group = ref.group || 'cert-manager.io';
  const plural = `${(ref.kind || 'Issuer').toLowerCase()}s`;
  const clusterScoped = group === 'cert-manager.io' && plural === 'clusterissuers';
  const names = [`${plural}.${group}/${clusterScoped ? '' : `${namespace}.`}${ref.name}`, `${plural}.${group}/*`];
  for (const name of names) {
    const review = await cluster.must<{ status: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: {
        user: user.username, uid: user.uid, groups: user.groups, extra: user.extra,
        resourceAttributes: { group: 'cert-manager.io', resource: 'signers', verb: 'approve', name, ...(clusterScoped ? {} : { namespace }) },
      },
    });
    if (review.status.allowed) return true;
  }
  return false;
}

async function register(cluster: RealCluster, name: string, url: string, caPem: string): Promise<void> {
  const clientConfig = (path: string) => ({ url: `${url}${path}`, caBundle: Buffer.from(caPem).toString('base64') });
  const common = { admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', timeoutSeconds: 10 };
  await cluster.apply({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name },
    webhooks: [{ name: 'webhook.cert-manager.io', clientConfig: clientConfig('/mutate'), ...common,
      rules: [{ ...RULE, operations: ['CREATE'], resources: ['certificaterequests'] }] }],
  });
  await cluster.apply({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name },
    webhooks: [{ name: 'webhook.cert-manager.io', clientConfig: clientConfig('/validate'), ...common,
      rules: [{ ...RULE, operations: ['CREATE', 'UPDATE'], resources: ['certificaterequests', 'certificaterequests/status'] }] }],
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
