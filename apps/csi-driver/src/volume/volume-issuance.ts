import { Inject, Injectable, Optional } from '@nestjs/common';
import { LOGGER, OPTIONS, type DriverOptions } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, type CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import {
  CERTIFICATE_REQUEST_GATEWAY, ISSUANCE_EVENTS, type CertificateRequestGateway, type IssuanceEvents,
} from '../issuance/ports';
import { SvidIssuer } from '../issuance/svid-issuer';
import { METADATA_STORE, SVID_WRITER } from '../storage/ports';
import { issuanceTarget, type ManagedVolume } from './managed-volume';
import { pruneOldRequests, type PruneScope } from './old-requests';
import type { MetadataStore, SvidFileWriter } from './ports';
import { VolumeMetrics } from './volume-metrics';
import { NO_VOLUME_OBSERVER, VOLUME_OBSERVER, type VolumeObserver } from './volume-observer';

export interface SvidFileNames {
  certificate: string;
  key: string;
  ca: string;
}

/** When a certificate valid from notBefore to notAfter should be renewed. */
export type RenewalPolicy = (notBefore: Date, notAfter: Date) => Date;
/** Production: nextRenewalTime (2/3 of the lifetime, jittered); tests pin the jitter to 0. */
export const RENEWAL_POLICY = Symbol('RENEWAL_POLICY');

/**
 * Issues an SVID for a volume and makes it the volume's current one: verified certificate and key
 * written atomically, metadata updated, older requests pruned. Nothing is written on failure, so
 * the files already in the volume stay as they were.
 */
@Injectable()
export class VolumeIssuance {
  private readonly pruning = new Set<Promise<unknown>>();
  private readonly nodeId: string;
  private readonly fileNames: SvidFileNames;

  constructor(
    @Inject(OPTIONS) options: Pick<DriverOptions, 'nodeId' | 'fileNameCertificate' | 'fileNameKey' | 'fileNameCa'>,
    private readonly issuer: SvidIssuer,
    @Inject(CERTIFICATE_REQUEST_GATEWAY) private readonly gateway: CertificateRequestGateway,
    @Inject(SVID_WRITER) private readonly writer: SvidFileWriter,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(CA_BUNDLE_SOURCE) private readonly caBundle: CaBundleSource,
    @Inject(ISSUANCE_EVENTS) private readonly events: IssuanceEvents,
    private readonly metrics: VolumeMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(RENEWAL_POLICY) private readonly renewalTime: RenewalPolicy,
    /** Told once the new SVID is stored (the Workload API serves it). */
    @Optional() @Inject(VOLUME_OBSERVER) private readonly observer: VolumeObserver = NO_VOLUME_OBSERVER,
  ) {
    this.nodeId = options.nodeId;
    this.fileNames = { certificate: options.fileNameCertificate, key: options.fileNameKey, ca: options.fileNameCa };
  }

  /** Resolves once the request pruning started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all(this.pruning);
  }

  async issueAndStore(meta: ManagedVolume): Promise<ManagedVolume> {
    const { issuer, writer, store, metrics, fileNames } = this;
    const target = issuanceTarget(meta);
    if (typeof target === 'string') throw new Error(`volume ${meta.volumeId} cannot be issued: ${target}`);

    metrics.issuanceAttempted(meta.volumeId);
    try {
      const svid = await issuer.issue(target);
      const files: Record<string, string | Buffer> = {
        [fileNames.certificate]: svid.chainPem,
        [fileNames.key]: svid.privateKeyPem,
      };
      const ca = this.caBundle.current();
      if (ca) files[fileNames.ca] = ca;
      await writer.write(meta.volumeId, files, meta.fsGroup);

      const renewAt = this.renewalTime(svid.notBefore, svid.notAfter);
      const updated: ManagedVolume = {
        ...meta,
        spiffeId: target.spiffeId,
        nextIssuanceTime: renewAt.toISOString(),
        notAfter: svid.notAfter.toISOString(),
        lastRequestName: svid.requestName,
        issuerCaPem: svid.caPem,
      };
      if (!svid.caPem) delete updated.issuerCaPem;
      await store.write(updated);
      await this.observer.svidStored(updated, files);
      metrics.certificateStored(meta.volumeId, svid.notAfter, renewAt);
      this.pruneInBackground({ namespace: target.namespace, nodeId: this.nodeId, volumeId: meta.volumeId, keep: 1 });
      return updated;
    } catch (error) {
      metrics.issuanceFailed(meta.volumeId);
      this.reportFailure(meta, (error as Error).message);
      throw error;
    }
  }

  /**
   * Housekeeping off the publish path: the volume is served as soon as its files are written, and
   * a LIST plus DELETEs per issuance would otherwise add two API round trips to every mount.
   * pruneOldRequests logs its own failures and never rejects.
   */
  private pruneInBackground(scope: PruneScope): void {
    const done = pruneOldRequests(this.gateway, scope, this.logger).finally(() => this.pruning.delete(done));
    this.pruning.add(done);
  }

  reportFailure(meta: ManagedVolume, message: string): void {
    this.logger.warn({ volumeId: meta.volumeId, err: message }, 'issuance failed');
    this.warnPod(meta, 'SvidIssuanceFailed', message);
  }

  /** A Warning Event on the volume's Pod (when its name is known), where `kubectl describe pod` shows it. */
  warnPod(meta: ManagedVolume, reason: string, message: string): void {
    warnVolumePod(this.events, meta, reason, message);
  }
}

/** A Warning Event on the volume's Pod, when its name is known (older metadata may lack it). */
export function warnVolumePod(events: IssuanceEvents, meta: ManagedVolume, reason: string, message: string): void {
  const identity = meta.identity;
  if (identity?.podName) {
    events.warning({ namespace: identity.namespace, name: identity.podName, uid: identity.podUid }, reason, message);
  }
}
