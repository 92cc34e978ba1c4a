// What the checks use to look at the node the way a user (or crictl) would: the API server for
// objects and Events, the CRI runtime for exec (ExecSync on the tier's containerd socket) and
// kubelet's CRI log files for container logs, /proc/self/mountinfo for the host's mounts.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, type ChannelCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { inject } from 'vitest';
import { CHART, helm } from '../chart/helm';
import { grantWorkload } from '../real/chart-rbac';
import { readApiserverState, RealCluster, type Manifest } from '../real/cluster';
import { eventually } from '../support/eventually';

export const ENV = inject('nodeEnv');
export const SKIP_REASON = inject('nodeSkipReason');
export const ISSUER_CA = inject('nodeIssuerCa');
export const RELEASE = 'csi-driver-spiffe';
export const RELEASE_NAMESPACE = 'cert-manager';
export const DRIVER_NAME = 'spiffe.csi.cert-manager.io';

export function connect(): RealCluster {
  return new RealCluster(readApiserverState(ENV.CONTROL_PLANE));
}

/** `eventually` with the description first, as the node checks read; the node tier waits longer. */
export function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  return eventually(fn, timeoutMs, what, intervalMs);
}

// ------------------------------------------------------------------------------------ helm

export function helmRun(args: string[]): string {
  return execFileSync(helm(), args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: ENV.KUBECONFIG }, stdio: 'pipe' });
}

/** Image values for our locally built images (never pulled: pullPolicy Never). */
function imageValues(): string[] {
  const split = (ref: string) => {
    const at = ref.lastIndexOf(':');
    return at > ref.lastIndexOf('/') ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, 'latest'];
  };
  const set = (prefix: string, ref: string) => {
    const [repo, tag] = split(ref);
    return [`${prefix}.repository=${repo}`, `${prefix}.tag=${tag}`, `${prefix}.pullPolicy=Never`];
  };
  return [
    ...set('driverImage', ENV.DRIVER), ...set('approverImage', ENV.DRIVER),
    ...set('app.driver.nodeDriverRegistrarImage', ENV.REGISTRAR), ...set('app.driver.livenessProbeImage', ENV.LIVENESS),
  ];
}

/** The values this tier installs with: local images, hostNetwork, the API server on 127.0.0.1. */
export function chartValues(extra: string[] = []): string[] {
  return [
    ...imageValues(),
    'app.driver.hostNetwork=true', 'app.approver.hostNetwork=true',
    // No Service: no Service IP range is in use here (nothing would route to a ClusterIP).
    'app.approver.metrics.service.enabled=false',
    'app.extraEnv[0].name=KUBERNETES_SERVICE_HOST', 'app.extraEnv[0].value=127.0.0.1',
    'app.extraEnv[1].name=KUBERNETES_SERVICE_PORT', `app.extraEnv[1].value=${ENV.API_PORT}`,
    // Short enough that a renewal (at about 2/3 of the lifetime) is seen within the run.
    'app.certificateRequestDuration=90s',
    // Faster lease handover than the default 10s/7s/1s, so check 7 does not wait long.
    'app.approver.leaderElection.leaseDuration=6s', 'app.approver.leaderElection.renewDeadline=4s',
    'app.approver.leaderElection.retryPeriod=500ms',
    ...extra,
  ];
}

/** --set, or --set-string where a value must stay a string (image tags, env values like "36443"). */
const setArgs = (values: string[]) => values.flatMap((s) => [/^[^=]*\.(tag|value)=/.test(s) ? '--set-string' : '--set', s]);

export function helmInstall(extra: string[] = []): string {
  const sets = setArgs(chartValues(extra));
  return helmRun(['install', RELEASE, CHART, '--namespace', RELEASE_NAMESPACE, '--create-namespace', ...sets]);
}

export function helmTemplate(extra: string[] = [], showOnly?: string): string {
  const sets = setArgs(chartValues(extra));
  return helmRun(['template', RELEASE, CHART, '--namespace', RELEASE_NAMESPACE, ...sets, ...(showOnly ? ['--show-only', showOnly] : [])]);
}

// ------------------------------------------------------------------------------------ pods

export interface PodObject extends Manifest {
  spec: Record<string, unknown> & { containers: ({ name: string; image: string } & Record<string, unknown>)[]; nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; containerID?: string; ready: boolean; restartCount: number; state?: Record<string, unknown> }[];
  };
}

export async function getPod(cluster: RealCluster, namespace: string, name: string): Promise<PodObject | undefined> {
  const res = await cluster.admin.request<PodObject>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
  return res.status === 200 ? res.body : undefined;
}

export async function listPods(cluster: RealCluster, namespace: string, selector?: string): Promise<PodObject[]> {
  const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
  return (await cluster.must<{ items: PodObject[] }>('GET', `/api/v1/namespaces/${namespace}/pods${q}`)).items;
}

export const isReady = (p: PodObject | undefined) =>
  p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export async function waitPodReady(cluster: RealCluster, namespace: string, name: string, timeoutMs = 90_000): Promise<PodObject> {
  return waitFor(`Pod ${namespace}/${name} Ready`, async () => {
    const p = await getPod(cluster, namespace, name);
    return isReady(p) ? p : undefined;
  }, timeoutMs);
}

export async function deletePod(cluster: RealCluster, namespace: string, name: string, graceSeconds?: number): Promise<void> {
  const body = graceSeconds === undefined ? undefined : { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: graceSeconds };
  await cluster.must('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, body, [200, 202, 404]);
}

export async function waitPodGone(cluster: RealCluster, namespace: string, name: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(`Pod ${namespace}/${name} gone`, async () => !(await getPod(cluster, namespace, name)), timeoutMs);
}

export interface EventObject { reason: string; message: string; type: string; involvedObject: { name: string; kind: string }; count?: number }

export async function podEvents(cluster: RealCluster, namespace: string, pod: string): Promise<EventObject[]> {
  const sel = encodeURIComponent(`involvedObject.name=${pod}`);
  return (await cluster.must<{ items: EventObject[] }>('GET', `/api/v1/namespaces/${namespace}/events?fieldSelector=${sel}`)).items;
}

/** A workload Pod as the examples write it, on the host network with the local busybox image. */
export function workloadPod(namespace: string, name: string, o: {
  serviceAccount?: string; volume?: boolean; readOnly?: boolean; attributes?: Record<string, string>;
  securityContext?: Record<string, unknown>; command?: string[]; labels?: Record<string, string>;
} = {}): PodObject {
  const volume = o.volume ?? true;
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      hostNetwork: true, serviceAccountName: o.serviceAccount ?? 'default', terminationGracePeriodSeconds: 1,
      ...(o.securityContext ? { securityContext: o.securityContext } : {}),
      containers: [{
        name: 'app', image: ENV.WORKLOAD, imagePullPolicy: 'Never',
        command: o.command ?? ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
        ...(volume ? { volumeMounts: [{ name: 'spiffe', mountPath: '/var/run/secrets/spiffe.io', readOnly: true }] } : {}),
      }],
      ...(volume ? {
        volumes: [{ name: 'spiffe', csi: { driver: DRIVER_NAME, ...(o.readOnly === false ? {} : { readOnly: true }),
          ...(o.attributes ? { volumeAttributes: o.attributes } : {}) } }],
      } : {}),
    },
  };
}

/** A namespace with a ServiceAccount allowed only to create CertificateRequests (the examples' Role). */
export async function workloadNamespace(cluster: RealCluster, prefix: string, serviceAccount = 'app', grant = true): Promise<string> {
  const namespace = `${prefix}-${randomBytes(3).toString('hex')}`;
  if (grant) await grantWorkload(cluster, namespace, serviceAccount);
  else await cluster.createServiceAccount(namespace, serviceAccount);
  await waitFor(`ServiceAccount ${namespace}/${serviceAccount}'s token Secret`, async () => {
    const sa = await cluster.must<{ secrets?: unknown[] }>('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}`);
    return (sa.secrets?.length ?? 0) > 0;
  }, 30_000);
  return namespace;
}

// ------------------------------------------------------------------------------------ CRI

export function containerId(pod: PodObject, container: string): string {
  const id = pod.status?.containerStatuses?.find((c) => c.name === container)?.containerID;
  if (!id) throw new Error(`Pod ${pod.metadata.name} has no running container ${container}`);
  return id.replace(/^containerd:\/\//, '');
}

type ExecSync = (req: { container_id: string; cmd: string[]; timeout: number },
  cb: (err: Error | null, res?: { stdout: Buffer; stderr: Buffer; exit_code: number }) => void) => void;
type ContainerStatus = (req: { container_id: string }, cb: (err: Error | null, res?: { status: { started_at: number } }) => void) => void;
let runtime: { ExecSync: ExecSync; ContainerStatus: ContainerStatus; close(): void } | undefined;

function cri(): NonNullable<typeof runtime> {
  if (!runtime) {
    const def = loadSync(join(__dirname, 'cri/exec.proto'), { keepCase: true, longs: Number, defaults: true });
    const pkg = loadPackageDefinition(def) as unknown as { runtime: { v1alpha2: { RuntimeService: new (a: string, c: ChannelCredentials) => typeof runtime } } };
    runtime = new pkg.runtime.v1alpha2.RuntimeService(`unix://${ENV.CONTAINERD_SOCKET}`, credentials.createInsecure());
  }
  return runtime!;
}

/** When the container's process started (CRI started_at), in ms since the epoch, sub-ms precise. */
export async function containerStartedAt(id: string): Promise<number> {
  const rt = cri();
  const res = await new Promise<{ status: { started_at: number } }>((resolve, reject) =>
    rt.ContainerStatus({ container_id: id }, (err, r) => (err ? reject(err) : resolve(r!))));
  return res.status.started_at / 1e6;
}

/**
 * Exec in a running container through the CRI (ExecSync on the tier's containerd socket, what
 * `crictl exec -s` does), as the container's own user. `ctr task exec` loses output of short-lived
 * processes now and then; ExecSync returns it whole.
 */
export async function criExec(id: string, script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const rt = cri();
  const res = await new Promise<{ stdout: Buffer; stderr: Buffer; exit_code: number }>((resolve, reject) =>
    rt.ExecSync({ container_id: id, cmd: ['sh', '-c', script], timeout: 30 }, (err, r) => (err ? reject(err) : resolve(r!))));
  return { code: res.exit_code, stdout: res.stdout.toString('utf8'), stderr: res.stderr.toString('utf8') };
}

export function closeCri(): void {
  runtime?.close();
  runtime = undefined;
}

export async function execInPod(cluster: RealCluster, namespace: string, name: string, script: string, container = 'app') {
  const pod = await getPod(cluster, namespace, name);
  if (!pod) throw new Error(`no Pod ${namespace}/${name}`);
  return criExec(containerId(pod, container), script);
}

/** A container's log as kubelet writes it for the CRI (what `crictl logs` reads). */
export function containerLog(pod: PodObject, container: string): string {
  const dir = join('/var/log/pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid as string}`, container);
  if (!existsSync(dir)) return '';
  return readdirSync(dir).sort().map((f) => readFileSync(join(dir, f), 'utf8')).join('');
}

// ------------------------------------------------------------------------------------ host

/** Mount points on the host at or below `dir`. */
export function hostMountsUnder(dir: string): { mountPoint: string; fsType: string; options: string }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
    const [left, right] = line.split(' - ');
    const f = left.split(' ');
    return { mountPoint: f[4].replace(/\\040/g, ' '), fsType: right.split(' ')[0], options: f[5] };
  }).filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
}

export const targetPath = (podUid: string, volume = 'spiffe') =>
  `${ENV.KUBELET_ROOT}/pods/${podUid}/volumes/kubernetes.io~csi/${volume}/mount`;
