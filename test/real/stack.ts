// The whole product against the REAL kube-apiserver: the chart's RBAC applied, the CA issuer
// simulator as a controller, the BUILT approver(s) and driver as child processes running with
// their own ServiceAccounts' tokens, and Pods whose volumes carry TokenRequest-made tokens.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { connectCsiClient, type CsiClient } from '../csi-grpc/harness';
import { podVolume, type PodSpec, type PodVolume } from '../e2e/kubelet';
import { ISSUER, TRUST_DOMAIN, unmountAllUnder } from '../e2e/stack';
import { startCaIssuerSim, type CaIssuerSim } from '../kube-sim/ca-issuer';
import { startJsonProcess, type JsonProcess } from '../support/json-process';
import { applyChartRbac, grantWorkload, type ChartRbac } from './chart-rbac';
import { readApiserverState, RealCluster } from './cluster';

export { ISSUER, TRUST_DOMAIN };

/** Why this tier cannot run here ('' when it can). */
export const SKIP_REASON = inject('realApiserverSkipReason') || (inject('realApiserverDir') ? '' : 'no apiserver');

/** A fresh name per run: the apiserver may be reused (REAL_APISERVER_KEEP=1) and namespaces never die here. */
export const uniqueNamespace = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

export function connectCluster(): RealCluster {
  return new RealCluster(readApiserverState(inject('realApiserverDir')));
}

export interface RealStackOptions {
  driverArgs?: string[];
  approverArgs?: string[];
  approvers?: number;
  certDurationMs?: number;
  runtimeIssuanceConfigMap?: string;
  /** Default: REAL_ECHO_LOGS=1 in the environment. */
  echoLogs?: boolean;
  /** app.driver.useOwnServiceAccount: chart RBAC and both apps' flags as the chart renders them; workloads get no RBAC. */
  ownServiceAccount?: boolean;
  /** app.approver.autoApproveNonSPIFFE: chart RBAC and the approver's flag. */
  autoApproveNonSpiffe?: boolean;
}

export interface RealPod {
  pod: { namespace: string; serviceAccount: string; name: string; uid: string };
  volumeId: string;
  targetPath: string;
  /** kubelet's NodePublishVolume request with a fresh Pod-bound token. */
  request(): Promise<Record<string, unknown>>;
}

export interface RealStack {
  cluster: RealCluster;
  rbac: ChartRbac;
  issuer: CaIssuerSim;
  approvers: JsonProcess[];
  driver: JsonProcess;
  csi: CsiClient;
  dataRoot: string;
  podsDir: string;
  /** A Pod object in `namespace` whose ServiceAccount may only create CertificateRequests. */
  pod(spec: Omit<PodSpec, 'name' | 'uid'>): Promise<RealPod>;
  publish(pod: RealPod): Promise<Record<string, unknown>>;
  unpublish(pod: RealPod): Promise<Record<string, unknown>>;
  startApprover(): Promise<JsonProcess>;
  /** Log lines of every app process so far that report a 403 (a permission the chart lacks). */
  rbacRefusals(): string[];
  restartDriver(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

const PROBES = ['--readiness-probe-bind-address=127.0.0.1:0', '--metrics-bind-address=127.0.0.1:0'];
export const FAST_LEASE_ARGS = ['--leader-election-lease-duration=2s', '--leader-election-renew-deadline=1500ms',
  '--leader-election-retry-period=200ms'];

export async function startRealStack(options: RealStackOptions = {}): Promise<RealStack> {
  const o = { echoLogs: process.env.REAL_ECHO_LOGS === '1', ...options };
  const cluster = connectCluster();
  const workDir = await mkdtemp(join(tmpdir(), 'spiffe-real-'));
  const dataRoot = join(workDir, 'csi-data-dir');
  // kubelet's real layout under a test-owned --root-dir: <root>/pods/<uid>/volumes/kubernetes.io~csi/<name>/mount
  const kubeletRoot = join(workDir, 'kubelet');
  const podsDir = join(kubeletRoot, 'pods');
  const socketPath = join(workDir, 'plugin', 'csi.sock');
  const rbac = await applyChartRbac(cluster, uniqueNamespace('csi-driver-spiffe'), { runtimeIssuanceConfigMap: o.runtimeIssuanceConfigMap,
    set: { 'app.driver.useOwnServiceAccount': String(!!o.ownServiceAccount), 'app.approver.autoApproveNonSPIFFE': String(!!o.autoApproveNonSpiffe) } });
  const modeArgs = {
    driver: o.ownServiceAccount ? ['--use-own-service-account=true'] : [],
    approver: [...(o.autoApproveNonSpiffe ? ['--auto-approve-non-spiffe=true'] : []), ...(o.ownServiceAccount
      ? ['--use-own-service-account=true', `--driver-service-account=system:serviceaccount:${rbac.namespace}:${rbac.driverServiceAccount}`] : [])],
  };
  // cert-manager's controller has its own broad RBAC; the issuer stand-in runs as admin.
  const issuer = await startCaIssuerSim({ url: cluster.state.url, token: cluster.state.adminToken, caPem: cluster.state.caPem,
    issuerName: ISSUER.name, issuerKind: ISSUER.kind, certDurationMs: o.certDurationMs });
  const kubeconfigOf = async (serviceAccount: string) =>
    cluster.writeKubeconfig(await cluster.serviceAccountToken(rbac.namespace, serviceAccount, { expirationSeconds: 7200 }),
      join(workDir, `kubeconfig-${serviceAccount}`));
  const runtime = o.runtimeIssuanceConfigMap
    ? [`--runtime-issuance-config-map-name=${o.runtimeIssuanceConfigMap}`, `--runtime-issuance-config-map-namespace=${rbac.namespace}`] : [];
  const shared = [`--trust-domain=${TRUST_DOMAIN}`, `--issuer-name=${ISSUER.name}`, `--issuer-kind=${ISSUER.kind}`,
    `--csi-driver-name=${rbac.leaseName}`, ...PROBES, ...runtime];
  const approverArgs = [`--kubeconfig=${await kubeconfigOf(rbac.approverServiceAccount)}`, ...shared,
    `--leader-election-namespace=${rbac.namespace}`, ...FAST_LEASE_ARGS, ...modeArgs.approver, ...(o.approverArgs ?? [])];
  const driverArgs = [`--kubeconfig=${await kubeconfigOf(rbac.driverServiceAccount)}`, ...shared, '--node-id=node-a',
    `--endpoint=unix://${socketPath}`, `--data-root=${dataRoot}`, `--kubelet-root-dir=${kubeletRoot}`, ...modeArgs.driver,
    ...(o.driverArgs ?? [])];
  const startApprover = () => startJsonProcess('approver', approverArgs, { echo: o.echoLogs });
  const approvers: JsonProcess[] = [];
  for (let i = 0; i < (o.approvers ?? 1); i++) approvers.push(await startApprover());

  const drivers = [await startJsonProcess('csi-driver', driverArgs, { echo: o.echoLogs })];
  const stack: RealStack = {
    cluster, rbac, issuer, approvers, dataRoot, podsDir,
    driver: drivers[0],
    csi: connectCsiClient(`unix://${socketPath}`),
    pod: async (spec) => {
      if (o.ownServiceAccount) await cluster.createServiceAccount(spec.namespace, spec.serviceAccount);
      else await grantWorkload(cluster, spec.namespace, spec.serviceAccount);
      const created = await cluster.createPod(spec.namespace, `${spec.serviceAccount}-${randomBytes(3).toString('hex')}`, spec.serviceAccount);
      const volumeFor = (token: string): PodVolume =>
        podVolume({ serviceAccountToken: () => token }, podsDir, { ...spec, ...created });
      const first = volumeFor('');
      return {
        pod: first.pod, volumeId: first.volumeId, targetPath: first.targetPath,
        request: async () => volumeFor(await cluster.serviceAccountToken(spec.namespace, spec.serviceAccount, { pod: created })).request,
      };
    },
    publish: async (pod) => stack.csi.node.NodePublishVolume(await pod.request()),
    unpublish: (pod) => stack.csi.node.NodeUnpublishVolume({ volume_id: pod.volumeId, target_path: pod.targetPath }),
    startApprover: async () => {
      const approver = await startApprover();
      approvers.push(approver);
      return approver;
    },
    rbacRefusals: () => [...approvers, ...drivers]
      .flatMap((p) => [...p.logs.map((l) => JSON.stringify(l)), ...p.stderr])
      // "Forbidden" always comes with a 403; a bare 403 also matched a startupMs of 403.
      .filter((line) => /forbidden/i.test(line)),
    restartDriver: async (signal = 'SIGKILL') => {
      stack.csi.close();
      await stack.driver.stop(signal);
      stack.driver = await startJsonProcess('csi-driver', driverArgs, { echo: o.echoLogs });
      drivers.push(stack.driver);
      stack.csi = connectCsiClient(`unix://${socketPath}`);
    },
    stop: async () => {
      stack.csi.close();
      await stack.driver.stop();
      for (const a of approvers) await a.stop();
      await issuer.stop();
      cluster.close();
      await unmountAllUnder(workDir);
      await rm(workDir, { recursive: true, force: true });
    },
  };
  return stack;
}
