import {
  Inject, Injectable, Module, Optional, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider,
} from '@nestjs/common';
import { LOGGER, OPTIONS, type DriverOptions } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, NoCaBundle, type CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import { KubeCertificateRequestGateway, PodEventRecorder } from '../issuance/kube-request-gateway';
import { KEY_SOURCE, KeyPool } from '../issuance/key-pool';
import { PendingRequests } from '../issuance/pending-requests';
import { KubeTokenVerifier } from '../issuance/kube-token-verifier';
import { CERTIFICATE_REQUEST_GATEWAY, ISSUANCE_EVENTS, ISSUER_SOURCE, TOKEN_VERIFIER } from '../issuance/ports';
import { StaticIssuerSource } from '../issuance/static-issuer-source';
import { ISSUANCE_SETTINGS, SvidIssuer, type IssuanceSettings } from '../issuance/svid-issuer';
import type { BackoffOptions } from '../scheduler/backoff';
import { nextRenewalTime } from '../scheduler/renewal-time';
import { METADATA_STORE } from '../storage/ports';
import { CA_RETRY_DELAY_MS, CaRotation } from './ca-rotation';
import { DataRootKeeper } from './data-root-keeper';
import { KeyedMutex } from './keyed-mutex';
import { RENEWAL_BACKOFF, Renewer } from './renewer';
import { resumeVolumes } from './resume';
import type { MetadataStore } from './ports';
import { TargetGuard } from './target-guard';
import { RENEWAL_POLICY, VolumeIssuance, type RenewalPolicy } from './volume-issuance';
import { DefaultVolumeManager, VOLUME_MANAGER } from './volume-manager';
import { VolumeMetrics } from './volume-metrics';
import { NO_VOLUME_OBSERVER, VOLUME_OBSERVER, type VolumeObserver } from './volume-observer';

export interface VolumeModuleOptions {
  /**
   * Replacements for the defaults, e.g. the runtime-ConfigMap ISSUER_SOURCE or the CA watcher's
   * CA_BUNDLE_SOURCE. Registered after the defaults, so they win.
   */
  overrides?: Provider[];
}

/** Puts existing volumes back on the renewal schedule once every module is initialised. */
@Injectable()
class VolumeResumeOnBoot implements OnApplicationBootstrap {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(Renewer) private readonly renewer: Renewer,
    @Inject(VOLUME_MANAGER) private readonly manager: DefaultVolumeManager,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(VOLUME_OBSERVER) private readonly observer: VolumeObserver = NO_VOLUME_OBSERVER,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Orphan cleanup already ran in StorageModule's init, before this module started.
    const { store, renewer, observer, logger } = this;
    this.manager.markStarted(await resumeVolumes({ store, renewer, observer, logger }));
  }
}

/** Follows CA bundle changes; on boot, catches up volumes written before a change we missed. */
@Injectable()
class CaRotationLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe?: () => void;

  constructor(
    @Inject(CaRotation) private readonly rotation: CaRotation,
    @Inject(CA_BUNDLE_SOURCE) private readonly source: CaBundleSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = this.rotation.start();
    const bundle = this.source.current();
    if (bundle) await this.rotation.rewriteAll(bundle);
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}

/** Keys kept ready for the next publishes; a burst beyond it generates on demand. */
const KEY_POOL_SIZE = 4;

const defaults: Provider[] = [
  {
    provide: ISSUANCE_SETTINGS,
    useFactory: (o: DriverOptions): IssuanceSettings => ({
      nodeId: o.nodeId, keyAlgorithm: o.keyAlgorithm, duration: o.certificateRequestDuration,
      issuanceTimeoutMs: o.issuanceTimeoutMs, extraAnnotations: o.extraCertificateRequestAnnotations,
    }),
    inject: [OPTIONS],
  },
  {
    provide: ISSUER_SOURCE,
    useFactory: (o: DriverOptions) => new StaticIssuerSource({ name: o.issuerName, kind: o.issuerKind, group: o.issuerGroup }),
    inject: [OPTIONS],
  },
  { provide: CA_BUNDLE_SOURCE, useFactory: () => new NoCaBundle() },
  { provide: CERTIFICATE_REQUEST_GATEWAY, useClass: KubeCertificateRequestGateway },
  { provide: TOKEN_VERIFIER, useClass: KubeTokenVerifier },
  { provide: ISSUANCE_EVENTS, useClass: PodEventRecorder },
  { provide: RENEWAL_POLICY, useValue: ((notBefore, notAfter) => new Date(nextRenewalTime(notBefore, notAfter))) satisfies RenewalPolicy },
  { provide: RENEWAL_BACKOFF, useValue: {} satisfies BackoffOptions },
  { provide: CA_RETRY_DELAY_MS, useValue: 5_000 }, // as the Go driver
  {
    provide: KEY_SOURCE,
    useFactory: (s: IssuanceSettings) => new KeyPool(s.keyAlgorithm, KEY_POOL_SIZE),
    inject: [ISSUANCE_SETTINGS],
  },
  // Injectable classes: Nest reads their typed constructors, so no positional inject lists to keep
  // in step; each app (a restarted driver in a test, too) gets its own instances and state.
  PendingRequests,
  KeyedMutex,
  DataRootKeeper,
  SvidIssuer,
  VolumeIssuance,
  Renewer,
  TargetGuard,
  { provide: VOLUME_MANAGER, useClass: DefaultVolumeManager },
  VolumeMetrics,
  CaRotation,
  VolumeResumeOnBoot,
  CaRotationLifecycle,
];

/**
 * The driver's volume lifecycle: issuance, renewal, resume and cleanup, as small providers behind
 * tokens. Needs ConfigModule (OPTIONS, LOGGER), StorageModule and KubernetesModule (all global).
 */
@Module({})
export class VolumeModule {
  static forRoot(options: VolumeModuleOptions = {}): DynamicModule {
    return {
      module: VolumeModule,
      providers: [...defaults, ...(options.overrides ?? [])],
      exports: [VOLUME_MANAGER, Renewer, VolumeMetrics, ISSUER_SOURCE, CERTIFICATE_REQUEST_GATEWAY],
    };
  }
}
