import {
  createSpiffeCsr, validateX509Svid, type GeneratedKey, type KeyAlgorithm, type ValidatedX509Svid,
} from '@spiffe-csi/crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { LOGGER } from '@spiffe-csi/config';
import type { Logger } from 'pino';
import { CA_BUNDLE_SOURCE, NoCaBundle, type CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import { DomainError, type DomainErrorKind } from '../domain-error';
import { KEY_SOURCE, onDemandKeys, type KeySource } from './key-pool';
import { PendingRequests } from './pending-requests';
import type { IssueHooks, PhaseClock } from './phase-clock';
import {
  CERTIFICATE_REQUEST_GATEWAY, ISSUER_SOURCE, type CertificateRequest, type CertificateRequestGateway, type IssuerSource,
} from './ports';
import { buildCertificateRequest } from './request-builder';
import { waitForRequestOutcome } from './request-waiter';

export interface IssuanceSettings {
  nodeId: string;
  keyAlgorithm: KeyAlgorithm;
  duration: string; // Go duration string for spec.duration
  issuanceTimeoutMs: number;
  extraAnnotations: Record<string, string>;
}
export const ISSUANCE_SETTINGS = Symbol('ISSUANCE_SETTINGS');

/** Who the SVID is for and whose token creates the request. */
export interface IssuanceTarget {
  volumeId: string;
  namespace: string;
  spiffeId: string;
  token: string;
  podName?: string;
  podUid?: string;
}

export interface IssuedSvid {
  chainPem: string; // as issued: leaf first
  privateKeyPem: string; // PKCS#8
  notBefore: Date;
  notAfter: Date;
  requestName: string; // namespace/name
  caPem?: string; // the request's status.ca: the issuer's CA, when it reports one
  /** What passed the X.509-SVID rules: the files and the Workload API are built from this alone. */
  validated: ValidatedX509Svid;
}

/**
 * The issued SVID breaks an X.509-SVID rule: a failed issuance (retried like any other), never
 * written or served. The message starts with the rule, e.g. "B8: keyUsage lacks digitalSignature".
 */
export class SvidRejectedError extends DomainError {
  constructor(readonly rule: string, message: string) {
    super('internal', message);
  }
}

/**
 * One issuance: fresh key → CSR → CertificateRequest (as the Pod) → watch → verify. Resumes the
 * volume's pending request when one exists, so retries never pile up requests.
 */
@Injectable()
export class SvidIssuer {
  private readonly keys: KeySource;

  constructor(
    @Inject(ISSUANCE_SETTINGS) private readonly settings: IssuanceSettings,
    @Inject(CERTIFICATE_REQUEST_GATEWAY) private readonly gateway: CertificateRequestGateway,
    @Inject(ISSUER_SOURCE) private readonly issuers: IssuerSource,
    private readonly pending: PendingRequests,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(KEY_SOURCE) keys?: KeySource,
    /** --source-ca-bundle; without it the request's status.ca is the bundle the SVID must verify to. */
    @Optional() @Inject(CA_BUNDLE_SOURCE) private readonly caBundle: CaBundleSource = new NoCaBundle(),
  ) {
    this.keys = keys ?? onDemandKeys(settings.keyAlgorithm);
  }

  /** hooks.clock is charged keyAndCsr, create (or resume), approve, sign and verify. */
  async issue(target: IssuanceTarget, hooks: IssueHooks = {}): Promise<IssuedSvid> {
    const { clock } = hooks;
    const resumed = await this.resume(target);
    if (resumed) clock?.mark('resume');
    const { request, key } = resumed ?? (await this.submit(target, clock));
    hooks.onSubmitted?.();
    const name = `${request.metadata.namespace}/${request.metadata.name}`;
    const result = await waitForRequestOutcome(this.gateway, request, this.settings.issuanceTimeoutMs,
      () => clock?.mark('approve'));
    clock?.mark('sign');
    if (result.state === 'timeout') {
      // Keep the pending key: kubelet's retry (or the next renewal attempt) picks this request up.
      throw new DomainError('timed-out',
        `timed out waiting for certificate request ${name} to be issued (${result.lastReason})`);
    }
    this.pending.drop(target.volumeId);
    if (result.state === 'denied') {
      throw new DomainError('forbidden', `certificate request ${name} was denied: ${result.message}`);
    }
    if (result.state === 'failed') {
      throw new DomainError('unavailable', `certificate request ${name} failed: ${result.message}`);
    }
    const checked = validateX509Svid({
      chainPem: result.certificate, keyPem: key.privateKeyPem, spkiDer: key.spkiDer, spiffeId: target.spiffeId,
      bundlePem: this.caBundle.current()?.toString('utf8') ?? result.ca,
    });
    if (!checked.ok) {
      throw new SvidRejectedError(checked.violation.rule,
        `${checked.message} (certificate request ${name}; the SVID is neither written nor served)`);
    }
    clock?.mark('verify');
    const validated = checked.svid;
    this.logger.info({ volumeId: target.volumeId, request: name, notAfter: validated.notAfter }, 'certificate issued');
    return {
      chainPem: result.certificate,
      privateKeyPem: key.privateKeyPem,
      notBefore: validated.notBefore,
      notAfter: validated.notAfter,
      requestName: name,
      ...(result.ca ? { caPem: result.ca } : {}),
      validated,
    };
  }

  /** Forget the volume's unanswered request (unpublish). */
  forget(volumeId: string): void {
    this.pending.drop(volumeId);
  }

  private async resume(target: IssuanceTarget): Promise<{ request: CertificateRequest; key: GeneratedKey } | undefined> {
    const pending = this.pending.get(target.volumeId);
    if (!pending) return undefined;
    if (pending.spiffeId !== target.spiffeId) {
      this.pending.drop(target.volumeId);
      return undefined;
    }
    const request = await this.gateway.get(pending.namespace, pending.requestName).catch((error: Error) => {
      throw new DomainError('unavailable', `reading certificate request ${pending.namespace}/${pending.requestName}: ${error.message}`);
    });
    if (!request) {
      this.pending.drop(target.volumeId);
      return undefined;
    }
    this.logger.info({ volumeId: target.volumeId, request: pending.requestName }, 'resuming pending certificate request');
    return { request, key: pending.key };
  }

  private async submit(target: IssuanceTarget, clock?: PhaseClock): Promise<{ request: CertificateRequest; key: GeneratedKey }> {
    const issuerRef = this.issuers.current();
    if (!issuerRef) {
      throw new DomainError('precondition-failed',
        'no issuerRef is currently active: set --issuer-name or the runtime issuance ConfigMap');
    }
    const key = await this.keys.take();
    const csrPem = await createSpiffeCsr(key, target.spiffeId);
    const draft = buildCertificateRequest({
      volumeId: target.volumeId,
      nodeId: this.settings.nodeId,
      namespace: target.namespace,
      spiffeId: target.spiffeId,
      csrPem,
      issuerRef,
      duration: this.settings.duration,
      podName: target.podName,
      podUid: target.podUid,
      extraAnnotations: this.settings.extraAnnotations,
    });
    clock?.mark('keyAndCsr');
    const created = await this.gateway.createAs(target.token, draft).catch((error: Error) => {
      throw new DomainError(createErrorKind(error),
        `creating certificate request in ${target.namespace} as ${this.gateway.requester}: ${error.message}`);
    });
    clock?.mark('create');
    this.pending.set(target.volumeId, {
      requestName: created.metadata.name!,
      namespace: target.namespace,
      key,
      spiffeId: target.spiffeId,
      createdAt: new Date(),
    });
    this.logger.info({ volumeId: target.volumeId, request: `${target.namespace}/${created.metadata.name}` }, 'certificate request created');
    return { request: created, key };
  }
}

/** 401/403 from the API server means the Pod's token cannot create requests; anything else may pass. */
function createErrorKind(error: Error): DomainErrorKind {
  const code = (error as { statusCode?: number; code?: number }).statusCode ?? (error as { code?: number }).code;
  if (code === 401) return 'unauthenticated';
  if (code === 403) return 'forbidden';
  return 'unavailable';
}
