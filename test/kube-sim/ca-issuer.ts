import { setTimeout as sleep } from 'node:timers/promises';
import { signRequest, SigningError, type SignInput } from './ca-signer';
import { PlainKubeClient, type WatchEvent } from './kube-client';
import { timestamp } from './objects';
import { createSelfSignedCa, loadCa, type CertificateAuthority, type CryptoKey } from './x509-util';

export type IssuerMode = 'sign' | 'fail' | 'ignore';

export interface CaIssuerSimOptions {
  url: string;
  token: string;
  /** CA that serves the API (https). */
  caPem?: string;
  issuerName: string;
  /** Default 'ClusterIssuer' (the project's default issuer kind). */
  issuerKind?: string;
  issuerGroup?: string;
  /** Watch one namespace only; default all namespaces. */
  namespace?: string;
  /** Reuse a CA (PEM cert + PKCS#8 key) instead of generating an ECDSA P-256 one. */
  ca?: { certPem: string; keyPem: string };
  mode?: IssuerMode;
  delayMs?: number;
  certDurationMs?: number;
  /**
   * Signs one approved request (default: this simulator's own DER writer, fast enough for the
   * benchmarks). test:node passes one built on @peculiar/x509 so that no code of ours judges ours.
   */
  signer?: (ca: CertificateAuthority, input: SignInput, durationOverrideMs?: number) => Promise<string>;
  /** Told, per request finished, when it was seen ready to finish, signed and written (epoch ms). */
  onFinished?: (trace: IssuerTrace) => void;
}

export interface IssuerTrace { namespace: string; name: string; seen: number; signed: number; written: number }

export interface CaIssuerSim {
  caPem: string;
  caKeyPem: string;
  caKey: CryptoKey;
  setMode(mode: IssuerMode): void;
  setDelay(ms: number): void;
  setCertDuration(ms: number | undefined): void;
  /**
   * Sign with these cert-manager usages instead of the request's (undefined: the request's), like
   * an issuer that ignores spec.usages: e.g. ['key encipherment'] makes leaves without
   * digitalSignature, which the driver must refuse (X.509-SVID rule B8).
   */
  setUsageOverride(usages: string[] | undefined): void;
  /** Requests this issuer has finished, by outcome; counted by the time the status is visible. */
  stats(): { issued: number; denied: number; failed: number };
  stop(): Promise<void>;
}

interface CertificateRequest {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string };
  spec: { request: string; usages?: string[]; isCA?: boolean; duration?: string; issuerRef?: { name?: string; kind?: string; group?: string } };
  status?: { conditions?: Condition[]; certificate?: string; ca?: string; failureTime?: string };
}
interface Condition { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }

const condition = (cr: CertificateRequest, type: string) => cr.status?.conditions?.find((c) => c.type === type);
const FINAL_READY_REASONS = new Set(['Issued', 'Failed', 'Denied']);

/**
 * A controller that behaves like cert-manager's CA issuer: it lists and watches
 * CertificateRequests over HTTP and writes their /status, so it runs unchanged against a real
 * kube-apiserver. Only requests for its issuerRef are touched; unapproved ones wait.
 */
export async function startCaIssuerSim(o: CaIssuerSimOptions): Promise<CaIssuerSim> {
  const ca = o.ca ? await loadCa(o.ca.certPem, o.ca.keyPem) : await createSelfSignedCa(`kube-sim ${o.issuerName} CA`);
  const controller = new CaIssuerController(o, ca);
  void controller.run();
  return {
    caPem: ca.certPem,
    caKeyPem: ca.keyPem,
    caKey: ca.privateKey,
    setMode: (mode) => (controller.mode = mode),
    setDelay: (ms) => (controller.delayMs = ms),
    setCertDuration: (ms) => (controller.certDurationMs = ms),
    setUsageOverride: (usages) => (controller.usageOverride = usages),
    stats: () => ({ ...controller.counts }),
    stop: () => controller.stop(),
  };
}

class CaIssuerController {
  mode: IssuerMode;
  delayMs: number;
  certDurationMs?: number;
  usageOverride?: string[];
  readonly counts = { issued: 0, denied: 0, failed: 0 };
  private readonly client: PlainKubeClient;
  private readonly inFlight = new Set<string>();
  private readonly collection: string;
  private stopped = false;
  private stopWatch?: () => void;
  private running?: Promise<void>;

  constructor(private readonly o: CaIssuerSimOptions, private readonly ca: CertificateAuthority) {
    this.mode = o.mode ?? 'sign';
    this.delayMs = o.delayMs ?? 0;
    this.certDurationMs = o.certDurationMs;
    this.client = new PlainKubeClient({ url: o.url, token: o.token, caPem: o.caPem });
    const ns = o.namespace ? `/namespaces/${encodeURIComponent(o.namespace)}` : '';
    this.collection = `/apis/cert-manager.io/v1${ns}/certificaterequests`;
  }

  /** List, then watch from the list's resourceVersion; relist after 410 Gone or any failure. */
  run(): Promise<void> {
    this.running = (async () => {
      let backoff = 50;
      while (!this.stopped) {
        try {
          const list = await this.client.request<{ metadata: { resourceVersion: string }; items: CertificateRequest[] }>('GET', this.collection);
          if (list.status !== 200) throw new Error(`list: HTTP ${list.status}`);
          list.body.items.forEach((cr) => this.consider(cr));
          await this.watchFrom(list.body.metadata.resourceVersion);
          backoff = 50;
        } catch {
          if (!this.stopped) await sleep(backoff);
          backoff = Math.min(backoff * 2, 1_000);
        }
      }
    })();
    return this.running;
  }

  /** Keep re-watching from the last seen resourceVersion until the server says it is too old. */
  private async watchFrom(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    let expired = false;
    while (!this.stopped && !expired) {
      const watch = this.client.watch(this.collection, { resourceVersion: rv, allowWatchBookmarks: 'true' }, (e: WatchEvent) => {
        if (e.type === 'ERROR') {
          expired = true;
          return;
        }
        rv = (e.object.metadata as { resourceVersion: string }).resourceVersion;
        if (e.type === 'ADDED' || e.type === 'MODIFIED') this.consider(e.object as unknown as CertificateRequest);
      });
      this.stopWatch = watch.stop;
      await watch.done;
    }
  }

  private matchesIssuer(cr: CertificateRequest): boolean {
    const ref = cr.spec?.issuerRef ?? {};
    return ref.name === this.o.issuerName && (ref.kind || 'Issuer') === (this.o.issuerKind ?? 'ClusterIssuer') &&
      (ref.group || 'cert-manager.io') === (this.o.issuerGroup ?? 'cert-manager.io');
  }

  private consider(cr: CertificateRequest): void {
    if (this.stopped || this.mode === 'ignore' || !this.matchesIssuer(cr) || this.inFlight.has(cr.metadata.uid)) return;
    const ready = condition(cr, 'Ready');
    if (ready && FINAL_READY_REASONS.has(ready.reason ?? '')) return;
    const denied = condition(cr, 'Denied')?.status === 'True';
    if (!denied && condition(cr, 'Approved')?.status !== 'True') return;
    this.inFlight.add(cr.metadata.uid);
    void this.finish(cr).finally(() => this.inFlight.delete(cr.metadata.uid));
  }

  /**
   * Works out the outcome after the configured delay, then writes it. The outcome is counted
   * before the write, not after its response: a driver watching the request can see the status
   * land and answer a test before this client has read the PUT's response (the real tier read
   * `issued` as 0 after a runtime-ca mount that way). A write that never lands takes it back.
   */
  private async finish(cr: CertificateRequest): Promise<void> {
    const seen = Date.now();
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.stopped || this.mode === 'ignore') return;
    const outcome = await this.outcome(cr);
    const signed = Date.now();
    this.counts[outcome.counter]++;
    if (!(await this.write(cr, outcome))) this.counts[outcome.counter]--;
    else this.o.onFinished?.({ namespace: cr.metadata.namespace, name: cr.metadata.name, seen, signed, written: Date.now() });
  }

  /** Writes the outcome to /status with conflict retries; true once it is on the server. */
  private async write(cr: CertificateRequest, outcome: Outcome): Promise<boolean> {
    let current = cr;
    for (let attempt = 0; attempt < 20 && !this.stopped; attempt++) {
      const ready = condition(current, 'Ready');
      // Final already: ours when an earlier PUT landed but its response was lost.
      if (ready && FINAL_READY_REASONS.has(ready.reason ?? '')) {
        return ready.reason === outcome.ready[1] && current.status?.certificate === outcome.certificate;
      }
      const path = `/apis/cert-manager.io/v1/namespaces/${current.metadata.namespace}/certificaterequests/${current.metadata.name}/status`;
      const res = await this.client.request('PUT', path, withOutcome(current, outcome)).catch(() => undefined);
      if (res?.status === 200) return true;
      if (res?.status === 404) return false;
      await sleep(Math.min(10 * 2 ** attempt, 500));
      const latest = await this.client.request<CertificateRequest>('GET', path.replace(/\/status$/, '')).catch(() => undefined);
      if (latest?.status === 404) return false;
      if (latest?.status === 200) current = latest.body;
    }
    return false;
  }

  private async outcome(cr: CertificateRequest): Promise<Outcome> {
    if (condition(cr, 'Denied')?.status === 'True') {
      return { counter: 'denied', ready: ['False', 'Denied', 'The CertificateRequest was denied by an approval controller'], failure: true };
    }
    if (this.mode === 'fail') return { counter: 'failed', ready: ['False', 'Failed', 'simulated issuer failure'], failure: true };
    try {
      const spec = this.usageOverride ? { ...cr.spec, usages: this.usageOverride } : cr.spec;
      const leaf = await (this.o.signer ?? signRequest)(this.ca, spec, this.certDurationMs);
      return {
        counter: 'issued', ready: ['True', 'Issued', 'Certificate fetched from issuer successfully'], failure: false,
        certificate: Buffer.from(leaf).toString('base64'), ca: Buffer.from(this.ca.certPem).toString('base64'),
      };
    } catch (e) {
      const message = e instanceof SigningError ? e.message : `signing failed: ${(e as Error).message}`;
      return { counter: 'failed', ready: ['False', 'Failed', message], failure: true };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatch?.();
    await this.running;
    this.client.close();
  }
}

interface Outcome {
  counter: 'issued' | 'denied' | 'failed';
  ready: [status: string, reason: string, message: string];
  failure: boolean;
  certificate?: string;
  ca?: string;
}

function withOutcome(cr: CertificateRequest, outcome: Outcome): CertificateRequest {
  const now = timestamp();
  const [status, reason, message] = outcome.ready;
  const conditions = (cr.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  conditions.push({ type: 'Ready', status, reason, message, lastTransitionTime: now });
  return {
    ...cr,
    status: {
      ...cr.status, conditions,
      ...(outcome.certificate ? { certificate: outcome.certificate, ca: outcome.ca } : {}),
      ...(outcome.failure ? { failureTime: now } : {}),
    },
  };
}
