import { Test } from '@nestjs/testing';
import { ConfigModule, parseDriverOptions } from '@spiffe-csi/config';
import { METRICS_REGISTRY } from '@spiffe-csi/observability';
import pino from 'pino';
import { Registry } from 'prom-client';
import { CsiError } from '../../csi/csi-error';
import { GRPC_STATUS_OF } from '../../csi/domain-status';
import { DomainError } from '../../domain-error';
import { CERTIFICATE_REQUEST_GATEWAY, ISSUANCE_EVENTS, TOKEN_VERIFIER, type IssuanceEvents, type PodRef } from '../../issuance/ports';
import { FakeRequestBackend } from '../../issuance/testing/fake-request-backend';
import { TestCa } from '../../issuance/testing/test-ca';
import type { BackoffOptions } from '../../scheduler/backoff';
import { nextRenewalTime } from '../../scheduler/renewal-time';
import { StorageModule } from '../../storage/storage.module';
import { createInMemoryStorage, useInMemoryStorage, type InMemoryStorage } from '../../storage/testing/in-memory-storage';
import { RENEWAL_BACKOFF, Renewer } from '../renewer';
import { RENEWAL_POLICY, type RenewalPolicy } from '../volume-issuance';
import { VOLUME_MANAGER, type DefaultVolumeManager } from '../volume-manager';
import type { PublishRequest } from '../volume-request';
import { VolumeModule } from '../volume.module';

export const DATA_ROOT_PATH = '/csi-data';
export const NODE_ID = 'node-1';

export class RecordedEvents implements IssuanceEvents {
  readonly warnings: { pod: PodRef; reason: string; message: string }[] = [];
  warning(pod: PodRef, reason: string, message: string): void {
    this.warnings.push({ pod, reason, message });
  }
}

/** The long-lived world a driver runs in: API side, tmpfs contents and mounts survive "restarts". */
export interface World extends InMemoryStorage {
  backend: FakeRequestBackend;
}

export async function createWorld(): Promise<World> {
  const storage = createInMemoryStorage();
  storage.mounter.preMount({ path: DATA_ROOT_PATH, fsType: 'tmpfs', source: 'tmpfs', readOnly: false });
  return { ...storage, backend: new FakeRequestBackend(await TestCa.create()) };
}

export interface DriverOptions {
  issuanceTimeoutMs?: number;
  backoffMs?: number;
}

/**
 * One driver process over a World, wired by the production VolumeModule and StorageModule: only
 * the outside world (API server, tmpfs contents, mounts, events, metrics registry) and the random
 * parts (renewal jitter, backoff) are replaced. Each call is a fresh process: pending keys,
 * scheduler and backoff start empty. `start()` runs the module lifecycle, as main.ts's listen does.
 */
export type TestDriver = Awaited<ReturnType<typeof startDriver>>;

export async function startDriver(world: World, options: DriverOptions = {}) {
  const registry = new Registry();
  const events = new RecordedEvents();
  const backoffMs = options.backoffMs ?? 30_000;
  const driverOptions = parseDriverOptions([
    `--node-id=${NODE_ID}`, '--endpoint=unix:///tmp/csi.sock', '--issuer-name=ca', `--data-root=${DATA_ROOT_PATH}`,
    '--key-algorithm=ecdsa-p256', '--certificate-request-duration=1h',
    `--issuance-timeout=${options.issuanceTimeoutMs ?? 5_000}ms`,
  ]);
  const builder = Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(driverOptions, pino({ level: 'silent' })),
      StorageModule.forRoot({ dataRoot: DATA_ROOT_PATH }),
      VolumeModule.forRoot({
        overrides: [
          { provide: CERTIFICATE_REQUEST_GATEWAY, useValue: world.backend },
          { provide: TOKEN_VERIFIER, useValue: world.backend },
          { provide: ISSUANCE_EVENTS, useValue: events },
          { provide: METRICS_REGISTRY, useValue: registry },
          // The production rule without its random jitter, so tests can name the exact renewal time.
          { provide: RENEWAL_POLICY, useValue: ((nb, na) => new Date(nextRenewalTime(nb, na, 0))) satisfies RenewalPolicy },
          { provide: RENEWAL_BACKOFF, useValue: { initialMs: backoffMs, maxMs: backoffMs * 10, jitter: 0 } satisfies BackoffOptions },
        ],
      }),
    ],
  });
  const moduleRef = await useInMemoryStorage(builder, world, DATA_ROOT_PATH).compile();
  return {
    manager: moduleRef.get<DefaultVolumeManager>(VOLUME_MANAGER),
    renewer: moduleRef.get(Renewer),
    events,
    registry,
    start: async () => void (await moduleRef.init()),
    stop: () => moduleRef.close(),
  };
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
