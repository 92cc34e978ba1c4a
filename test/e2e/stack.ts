// The whole product on loopback: kube-sim + CA issuer simulator in this process, the BUILT
// approver and driver as child processes, and a gRPC client on the driver's unix socket.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaIssuerSim, type CaIssuerSim } from '../kube-sim/ca-issuer';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { connectCsiClient, type CsiClient } from '../csi-grpc/harness';
import { LinuxMounter } from '../../apps/csi-driver/src/storage/mounter';
import { startJsonProcess, type JsonProcess } from '../support/json-process';
import { podVolume, type PodSpec, type PodVolume } from './kubelet';

export const IS_ROOT = process.getuid?.() === 0;
export const TRUST_DOMAIN = 'example.org';
export const ISSUER = { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };

export interface StackOptions {
  driverArgs?: string[];
  approverArgs?: string[];
  /** Issued certificates last this long (the issuer overrides spec.duration). */
  certDurationMs?: number;
  withApprover?: boolean;
  echoLogs?: boolean;
  /** Append both apps' raw output to this file (the demo keeps logs out of its own output). */
  logFile?: string;
  /** Name of the emulated kubelet's root dir inside the work dir (default "kubelet"). */
  kubeletRootName?: string;
  /** The driver authenticates as this user (e.g. its ServiceAccount's username) instead of admin. */
  driverUser?: string;
}

/** Everything but the driver: what runs without root. */
export interface ControlPlane {
  sim: KubeSim;
  issuer: CaIssuerSim;
  approver?: JsonProcess;
  workDir: string;
  /** Flags both apps share (kubeconfig, trust domain, issuer, probe addresses). */
  sharedArgs: string[];
  stop(): Promise<void>;
}

export interface Stack extends ControlPlane {
  driver: JsonProcess;
  csi: CsiClient;
  dataRoot: string;
  /** The emulated kubelet's --root-dir, passed to the driver as --kubelet-root-dir. */
  kubeletRoot: string;
  /** <kubeletRoot>/pods: where the emulated kubelet's targets live. */
  podsDir: string;
  socketPath: string;
  driverArgs: string[];
  pod(spec: PodSpec): PodVolume;
  publish(volume: PodVolume): Promise<Record<string, unknown>>;
  unpublish(volume: PodVolume): Promise<Record<string, unknown>>;
  /** SIGKILLs the driver (optionally) and starts a new one over the same data root and socket. */
  restartDriver(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `start` with a teardown list; if it throws, whatever was already started is stopped. */
async function startAll<T>(start: (onStop: (f: () => Promise<unknown>) => void) => Promise<T>): Promise<T> {
  const teardown: (() => Promise<unknown>)[] = [];
  try {
    return await start((f) => teardown.unshift(f));
  } catch (err) {
    for (const f of teardown) await f().catch(() => undefined);
    throw err;
  }
}

/** kube-sim, the CA issuer simulator and (unless withApprover is false) the built approver. */
export function startControlPlane(opts: StackOptions = {}): Promise<ControlPlane> {
  return startAll(async (onStop) => {
    const workDir = await mkdtemp(join(tmpdir(), 'spiffe-e2e-'));
    onStop(async () => {
      await unmountAllUnder(workDir);
      await rm(workDir, { recursive: true, force: true });
    });
    const sim = await startKubeSim();
    onStop(() => sim.close());
    const issuer = await startCaIssuerSim({
      url: sim.url, token: sim.adminToken, issuerName: ISSUER.name, issuerKind: ISSUER.kind,
      certDurationMs: opts.certDurationMs,
    });
    onStop(() => issuer.stop());
    const kubeconfig = sim.writeKubeconfig(sim.adminToken, join(workDir, 'kubeconfig'));
    const sharedArgs = [`--kubeconfig=${kubeconfig}`, `--trust-domain=${TRUST_DOMAIN}`, `--issuer-name=${ISSUER.name}`,
      `--issuer-kind=${ISSUER.kind}`, '--readiness-probe-bind-address=127.0.0.1:0', '--metrics-bind-address=127.0.0.1:0'];
    const approver = opts.withApprover === false ? undefined : await startJsonProcess('approver', [
      ...sharedArgs, '--leader-election-namespace=cert-manager', '--leader-election-lease-duration=2s',
      '--leader-election-renew-deadline=1500ms', '--leader-election-retry-period=200ms', ...(opts.approverArgs ?? []),
    ], { echo: opts.echoLogs, logFile: opts.logFile });
    if (approver) onStop(() => approver.stop());
    return {
      sim, issuer, approver, workDir, sharedArgs,
      stop: async () => {
        await approver?.stop();
        await issuer.stop();
        await sim.close();
        await unmountAllUnder(workDir);
        await rm(workDir, { recursive: true, force: true });
      },
    };
  });
}

export function startStack(opts: StackOptions = {}): Promise<Stack> {
  return startAll(async (onStop) => {
    const plane = await startControlPlane(opts);
    onStop(() => plane.stop());
    const { sim, workDir } = plane;
    const dataRoot = join(workDir, 'csi-data-dir');
    const kubeletRoot = join(workDir, opts.kubeletRootName ?? 'kubelet');
    const podsDir = join(kubeletRoot, 'pods');
    const socketPath = join(workDir, 'plugin', 'csi.sock');
    if (opts.driverUser) sim.addUser('driver-token', { username: opts.driverUser });
    // A later --kubeconfig wins over the shared (admin) one.
    const driverUser = opts.driverUser ? [`--kubeconfig=${sim.writeKubeconfig('driver-token', join(workDir, 'driver-kubeconfig'))}`] : [];
    const driverArgs = [...plane.sharedArgs, ...driverUser, '--node-id=node-a', `--endpoint=unix://${socketPath}`,
      `--data-root=${dataRoot}`, `--kubelet-root-dir=${kubeletRoot}`, ...(opts.driverArgs ?? [])];
    const startDriver = () => startJsonProcess('csi-driver', driverArgs, { echo: opts.echoLogs, logFile: opts.logFile });
    const stack: Stack = {
      ...plane, dataRoot, kubeletRoot, podsDir, socketPath, driverArgs,
      driver: await startDriver(),
      csi: connectCsiClient(`unix://${socketPath}`),
      pod: (spec) => podVolume(sim, podsDir, spec),
      publish: (volume) => stack.csi.node.NodePublishVolume(volume.request),
      unpublish: (volume) =>
        stack.csi.node.NodeUnpublishVolume({ volume_id: volume.volumeId, target_path: volume.targetPath }),
      restartDriver: async (signal = 'SIGKILL') => {
        stack.csi.close();
        await stack.driver.stop(signal);
        stack.driver = await startDriver();
        stack.csi = connectCsiClient(`unix://${socketPath}`);
      },
      stop: async () => {
        stack.csi.close();
        await stack.driver.stop();
        await plane.stop();
      },
    };
    return stack;
  });
}

/** Leaves no mount behind, deepest first, even when a test failed half-way. */
export async function unmountAllUnder(dir: string): Promise<void> {
  if (!IS_ROOT) return;
  const { readFile } = await import('node:fs/promises');
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && p.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  const mounter = new LinuxMounter();
  for (const m of mounts) await mounter.unmount(m).catch(() => undefined);
}
