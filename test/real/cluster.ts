// Admin access to the real kube-apiserver started by scripts/real-apiserver.sh: apply manifests,
// make namespaces, ServiceAccounts and Pods, and mint ServiceAccount tokens through TokenRequest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeconfigWriter } from '../kube-sim/kubeconfig';
import { PlainKubeClient, type KubeResponse } from '../kube-sim/kube-client';

export interface ApiserverState {
  dir: string;
  url: string;
  caPem: string;
  adminToken: string;
  kubeconfig: string;
}

export function readApiserverState(dir: string): ApiserverState {
  const kubeconfig = readFileSync(join(dir, 'kubeconfig'), 'utf8');
  const server = /server:\s*(\S+)/.exec(kubeconfig)?.[1];
  if (!server) throw new Error(`no server in ${dir}/kubeconfig`);
  return {
    dir, url: server, kubeconfig: join(dir, 'kubeconfig'),
    caPem: readFileSync(join(dir, 'pki/ca.crt'), 'utf8'),
    adminToken: readFileSync(join(dir, 'admin.token'), 'utf8').trim(),
  };
}

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

// Plurals of the kinds the tier applies; anything else is a mistake in the test.
const PLURALS: Record<string, string> = {
  Namespace: 'namespaces', ServiceAccount: 'serviceaccounts', ConfigMap: 'configmaps', Pod: 'pods',
  ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings',
  CustomResourceDefinition: 'customresourcedefinitions', Lease: 'leases',
  Deployment: 'deployments', DaemonSet: 'daemonsets', CSIDriver: 'csidrivers',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
};

export function pathOf(m: Pick<Manifest, 'apiVersion' | 'kind'> & { metadata: { name?: string; namespace?: string } }, withName = true): string {
  const plural = PLURALS[m.kind];
  if (!plural) throw new Error(`test/real: no REST path known for kind ${m.kind}`);
  const base = m.apiVersion.includes('/') ? `/apis/${m.apiVersion}` : `/api/${m.apiVersion}`;
  const ns = m.metadata.namespace ? `/namespaces/${m.metadata.namespace}` : '';
  return `${base}${ns}/${plural}${withName && m.metadata.name ? `/${m.metadata.name}` : ''}`;
}

export class KubeRequestError extends Error {
  constructor(readonly status: number, readonly body: unknown, what: string) {
    super(`${what}: HTTP ${status}: ${JSON.stringify(body).slice(0, 400)}`);
  }
}

export class RealCluster {
  readonly admin: PlainKubeClient;
  private readonly kubeconfigs: KubeconfigWriter;
  private readonly clients: PlainKubeClient[] = [];

  constructor(readonly state: ApiserverState) {
    this.admin = this.as(state.adminToken);
    this.kubeconfigs = new KubeconfigWriter(state.url, state.caPem);
  }

  /** A client acting as `token` (close() closes all of them). */
  as(token: string): PlainKubeClient {
    const client = new PlainKubeClient({ url: this.state.url, token, caPem: this.state.caPem });
    this.clients.push(client);
    return client;
  }

  writeKubeconfig(token: string, path?: string): string {
    return this.kubeconfigs.write(token, path);
  }

  /** Like request(), but anything outside `ok` throws with the server's Status. */
  async must<T = Record<string, unknown>>(method: string, path: string, body?: unknown, ok = [200, 201], client = this.admin): Promise<T> {
    const res: KubeResponse<T> = await client.request<T>(method, path, body);
    if (!ok.includes(res.status)) throw new KubeRequestError(res.status, res.body, `${method} ${path}`);
    return res.body;
  }

  /** Create, or replace what is there (kubectl apply without the three-way merge). */
  async apply<T extends Manifest>(m: T): Promise<T> {
    const created = await this.admin.request<T>('POST', pathOf(m, false), m);
    if (created.status === 201) return created.body;
    if (created.status !== 409) throw new KubeRequestError(created.status, created.body, `create ${m.kind} ${m.metadata.name}`);
    const current = await this.must<Manifest>('GET', pathOf(m));
    const next = { ...m, metadata: { ...m.metadata, resourceVersion: current.metadata.resourceVersion } };
    return this.must<T>('PUT', pathOf(m), next);
  }

  async ensureNamespace(name: string): Promise<void> {
    await this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  async createServiceAccount(namespace: string, name: string): Promise<void> {
    await this.ensureNamespace(namespace);
    await this.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  }

  /**
   * A Pod object (nothing runs it: there is no scheduler or kubelet). Token automount is off
   * because the legacy token Secret it would need comes from kube-controller-manager.
   */
  async createPod(namespace: string, name: string, serviceAccount: string): Promise<{ name: string; uid: string }> {
    const pod = await this.must<Manifest>('POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace },
      spec: {
        serviceAccountName: serviceAccount, automountServiceAccountToken: false,
        containers: [{ name: 'app', image: 'registry.invalid/app:never-pulled' }],
      },
    });
    return { name, uid: pod.metadata.uid as string };
  }

  /** TokenRequest, as kubelet does for a CSI volume (bound to the Pod) or for an app's own SA. */
  async serviceAccountToken(namespace: string, serviceAccount: string,
    o: { pod?: { name: string; uid: string }; expirationSeconds?: number; audiences?: string[] } = {}): Promise<string> {
    const res = await this.must<{ status: { token: string } }>('POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
        spec: {
          audiences: o.audiences ?? [], expirationSeconds: o.expirationSeconds ?? 3600,
          ...(o.pod ? { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: o.pod.name, uid: o.pod.uid } } : {}),
        },
      });
    return res.status.token;
  }

  close(): void {
    for (const c of this.clients) c.close();
    this.kubeconfigs.cleanup();
  }
}
