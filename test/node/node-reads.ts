// What the node tier's checks (checks.node.ts) read from the cluster and the repo: the example
// manifests as the tier runs them, a Pod's SVID as the Pod sees it, and the chart's names.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest, RealCluster } from '../real/cluster';
import { ENV, execInPod, isReady, listPods, waitFor, type PodObject } from './node';

export const ROOT = resolve(__dirname, '../..');
export const NAME = 'cert-manager-csi-driver-spiffe';
export const DRIVER_SELECTOR = `app=${NAME}`;
export const APPROVER_SELECTOR = `app=${NAME}-approver`;
export const MOUNT = '/var/run/secrets/spiffe.io';
export const TRUST_DOMAIN = 'cluster.local';
export interface DeploymentSpec { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } }
export const volumeHandle = (podUid: string, volume = 'spiffe') => `csi-${createHash('sha256').update(`${podUid}${volume}`).digest('hex')}`;

/** The example manifests, adapted only for hostNetwork and the local image. */
export function example(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/example', file), 'utf8')).map((d) => d.toJS() as Manifest);
  for (const m of docs) {
    if (m.kind !== 'Deployment') continue;
    const pod = (m.spec as { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } }).template.spec;
    pod.hostNetwork = true;
    pod.terminationGracePeriodSeconds = 1;
    for (const c of pod.containers) Object.assign(c, { image: ENV.WORKLOAD, imagePullPolicy: 'Never' });
  }
  return docs;
}

export async function readSvid(cluster: RealCluster, namespace: string, pod: string): Promise<{ cert: X509Certificate; certPem: string; keyPem: string }> {
  const cat = await execInPod(cluster, namespace, pod, `cat ${MOUNT}/tls.crt; echo '#SPLIT#'; cat ${MOUNT}/tls.key`);
  if (cat.code !== 0) throw new Error(`reading the SVID in ${pod} failed: ${cat.stderr}`);
  const [certPem, keyPem] = cat.stdout.split('#SPLIT#\n');
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(certPem)?.[0];
  if (!first) throw new Error(`no certificate in ${pod}'s tls.crt`);
  return { cert: new X509Certificate(first), certPem, keyPem };
}

export const uriSans = (cert: X509Certificate) => (cert.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));

export async function readyPodsOf(cluster: RealCluster, namespace: string, selector: string, count: number, timeoutMs = 120_000): Promise<PodObject[]> {
  return waitFor(`${count} Ready Pod(s) ${namespace}/${selector}`, async () => {
    const pods = (await listPods(cluster, namespace, selector)).filter((p) => !p.metadata.deletionTimestamp && isReady(p));
    return pods.length === count ? pods : undefined;
  }, timeoutMs);
}

export async function certificateRequestsOwnedBy(cluster: RealCluster, namespace: string, podUid: string): Promise<string[]> {
  const list = await cluster.must<{ items: { metadata: { name: string; ownerReferences?: { uid: string }[] } }[] }>('GET',
    `/apis/cert-manager.io/v1/namespaces/${namespace}/certificaterequests`);
  return list.items.filter((cr) => cr.metadata.ownerReferences?.some((o) => o.uid === podUid)).map((cr) => cr.metadata.name);
}

const PLURAL: Record<string, string> = {
  ServiceAccount: 'serviceaccounts', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles',
  RoleBinding: 'rolebindings', DaemonSet: 'daemonsets', Deployment: 'deployments', CSIDriver: 'csidrivers', Service: 'services',
  ServiceMonitor: 'servicemonitors',
};
export function pathFor(m: Manifest): string {
  const base = m.apiVersion.includes('/') ? `/apis/${m.apiVersion}` : `/api/${m.apiVersion}`;
  const ns = m.metadata.namespace ? `/namespaces/${m.metadata.namespace}` : '';
  return `${base}${ns}/${PLURAL[m.kind] ?? `${m.kind.toLowerCase()}s`}/${m.metadata.name}`;
}
