// The chart's own RBAC, rendered with helm and applied for real; the workloads it would deploy are
// run by the tests as processes instead (no kubelet here), with their ServiceAccounts' tokens.
import { render } from '../chart/helm';
import type { Manifest, RealCluster } from './cluster';

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

export interface ChartRbac {
  namespace: string;
  driverServiceAccount: string;
  approverServiceAccount: string;
  /** Lease name the chart's Role allows the approver to hold (also the CSI driver name). */
  leaseName: string;
  applied: string[];
}

/** `set`: more chart values (give a `nameOverride` so the cluster-wide roles do not replace the stack's). */
export async function applyChartRbac(cluster: RealCluster, namespace: string,
  o: { runtimeIssuanceConfigMap?: string; set?: Record<string, string> } = {}): Promise<ChartRbac> {
  await cluster.ensureNamespace(namespace);
  const set: Record<string, string> = { ...o.set,
    ...(o.runtimeIssuanceConfigMap ? { 'app.runtimeIssuanceConfigMap': o.runtimeIssuanceConfigMap } : {}) };
  const objects = (render(set, namespace) as unknown as Manifest[]).filter((m) => RBAC_KINDS.has(m.kind));
  for (const m of objects) await cluster.apply(m);
  const accounts = objects.filter((m) => m.kind === 'ServiceAccount').map((m) => m.metadata.name);
  const driverServiceAccount = accounts.find((n) => !n.endsWith('-approver'));
  const approverServiceAccount = accounts.find((n) => n.endsWith('-approver'));
  if (!driverServiceAccount || !approverServiceAccount) throw new Error(`chart rendered ServiceAccounts ${accounts.join(', ')}`);
  const approverRole = objects.find((m) => m.kind === 'Role' && m.metadata.name === approverServiceAccount) as
    (Manifest & { rules: { resources: string[]; resourceNames?: string[] }[] }) | undefined;
  const leaseName = approverRole?.rules.find((r) => r.resources.includes('leases') && r.resourceNames)?.resourceNames?.[0];
  if (!leaseName) throw new Error('chart: the approver Role names no Lease');
  return { namespace, driverServiceAccount, approverServiceAccount, leaseName,
    applied: objects.map((m) => `${m.kind}/${m.metadata.name}`) };
}

/** What deploy/example/example-app.yaml gives a workload: `create` on certificaterequests, nothing more. */
export async function grantWorkload(cluster: RealCluster, namespace: string, serviceAccount: string): Promise<void> {
  await cluster.createServiceAccount(namespace, serviceAccount);
  await cluster.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'create-certificaterequests', namespace },
    rules: [{ apiGroups: ['cert-manager.io'], resources: ['certificaterequests'], verbs: ['create'] }],
  });
  await cluster.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: serviceAccount, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'create-certificaterequests' },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
  });
}
