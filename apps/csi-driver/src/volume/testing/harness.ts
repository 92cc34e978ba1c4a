import pino from 'pino';
import { Registry } from 'prom-client';
import { NoCaBundle } from '../../ca-bundle/ca-bundle-watcher';
import { CsiError } from '../../csi/csi-error';
import { GRPC_STATUS_OF } from '../../csi/domain-status';
import { DomainError } from '../../domain-error';
import { PendingRequests } from '../../issuance/pending-requests';
import type { IssuanceEvents, PodRef } from '../../issuance/ports';
import { StaticIssuerSource } from '../../issuance/static-issuer-source';
import { SvidIssuer, type IssuanceSettings } from '../../issuance/svid-issuer';
import { FakeRequestBackend } from '../../issuance/testing/fake-request-backend';
import { TestCa } from '../../issuance/testing/test-ca';
import { DataRoot } from '../../storage/data-root';
import { FakeMounter } from '../../storage/fake-mounter';
import { InMemoryMetadataStore } from '../../storage/in-memory-metadata-store';
import { InMemorySvidFiles } from '../../storage/svid-files';
import { TimerScheduler } from '../../scheduler/scheduler';
import { DataRootKeeper } from '../data-root-keeper';
import { KeyedMutex } from '../keyed-mutex';
import { Renewer } from '../renewer';
import { resumeVolumes } from '../resume';
import { TargetGuard } from '../target-guard';
import { DefaultVolumeManager } from '../volume-manager';
import type { PublishRequest } from '../volume-request';
import { VolumeIssuance } from '../volume-issuance';
import { VolumeMetrics } from '../volume-metrics';

export const DATA_ROOT_PATH = '/csi-data';
export const NODE_ID = 'node-1';

export class RecordedEvents implements IssuanceEvents {
  readonly warnings: { pod: PodRef; reason: string; message: string }[] = [];
  warning(pod: PodRef, reason: string, message: string): void {
    this.warnings.push({ pod, reason, message });
  }
}

/** The long-lived world a driver runs in: API side, tmpfs contents and mounts survive "restarts". */
export interface World {
  backend: FakeRequestBackend;
  files: InMemorySvidFiles;
  store: InMemoryMetadataStore;
  mounter: FakeMounter;
}

export async function createWorld(): Promise<World> {
  const files = new InMemorySvidFiles();
  const mounter = new FakeMounter();
  mounter.preMount({ path: DATA_ROOT_PATH, fsType: 'tmpfs', source: 'tmpfs', readOnly: false });
  return { backend: new FakeRequestBackend(await TestCa.create()), files, store: new InMemoryMetadataStore(files), mounter };
}

export interface DriverOptions {
  issuanceTimeoutMs?: number;
  backoffMs?: number;
  renewAtFraction?: number; // of lifetime; default 2/3
  settings?: Partial<IssuanceSettings>;
}

/** One driver process over a World: fresh in-memory state (pending keys, scheduler, backoff). */
export function startDriver(world: World, options: DriverOptions = {}) {
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const metrics = new VolumeMetrics(registry, NODE_ID);
  const events = new RecordedEvents();
  const scheduler = new TimerScheduler();
  const mutex = new KeyedMutex();
  const pending = new PendingRequests();
  const settings: IssuanceSettings = {
    nodeId: NODE_ID, keyAlgorithm: 'ecdsa-p256', duration: '1h',
    issuanceTimeoutMs: options.issuanceTimeoutMs ?? 5_000, extraAnnotations: {}, ...options.settings,
  };
  const issuer = new SvidIssuer(settings, world.backend,
    new StaticIssuerSource({ name: 'ca', kind: 'ClusterIssuer', group: 'cert-manager.io' }), pending, logger);
  const fraction = options.renewAtFraction ?? 2 / 3;
  const issuance = new VolumeIssuance({
    nodeId: NODE_ID, fileNames: { certificate: 'tls.crt', key: 'tls.key', ca: 'ca.crt' },
    issuer, gateway: world.backend, writer: world.files, store: world.store,
    caBundle: new NoCaBundle(), events, metrics,
    renewalTime: (nb, na) => new Date(nb.getTime() + (na.getTime() - nb.getTime()) * fraction), logger,
  });
  const backoffMs = options.backoffMs ?? 30_000;
  const dataRoot = new DataRoot(world.mounter, DATA_ROOT_PATH);
  const keeper = new DataRootKeeper(dataRoot, metrics, logger);
  const renewer = new Renewer({ scheduler, store: world.store, issuance, mutex, metrics, logger, keeper,
    backoff: { initialMs: backoffMs, maxMs: backoffMs * 10, jitter: 0 } });
  const manager = new DefaultVolumeManager({
    store: world.store, mounter: world.mounter, dataRoot, keeper, targets: new TargetGuard(world.mounter, dataRoot),
    tokens: world.backend, issuance, renewer, forgetPending: (id) => issuer.forget(id), mutex, metrics, logger,
  });
  const start = async () => {
    await dataRoot.ensureMounted(); // as StorageModule does on init: adopts the world's tmpfs
    manager.markStarted(await resumeVolumes({ store: world.store, orphans: world.store, renewer, logger }));
  };
  return { manager, renewer, scheduler, pending, events, registry, metrics, dataRoot, start, stop: () => scheduler.stop() };
}

/** kubelet's target for the volume's Pod (uid-<volumeId>), under a kubelet root that does not exist here. */
export const targetPathOf = (volumeId: string, podUid = `uid-${volumeId}`) =>
  `/var/lib/kubelet/pods/${podUid}/volumes/kubernetes.io~csi/spiffe/mount`;

export function publishRequest(volumeId: string, overrides: Partial<PublishRequest['identity']> = {}): PublishRequest {
  return {
    volumeId,
    targetPath: targetPathOf(volumeId),
    volumeContext: { 'csi.storage.k8s.io/ephemeral': 'true', 'csi.storage.k8s.io/pod.name': `pod-${volumeId}` },
    identity: {
      namespace: 'team-a', serviceAccount: 'web', spiffeId: 'spiffe://cluster.local/ns/team-a/sa/web',
      token: 'token-1', podName: `pod-${volumeId}`, podUid: `uid-${volumeId}`, ...overrides,
    },
  };
}

/** The failure as kubelet sees it: a DomainError mapped to its status as the CSI edge does. */
export async function expectCsiError(promise: Promise<unknown>): Promise<CsiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return new CsiError(GRPC_STATUS_OF[error.kind], error.message);
    throw error;
  }
  throw new Error('expected a CsiError');
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
