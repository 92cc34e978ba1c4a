import { lstatSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidatedX509Svid } from '@spiffe-csi/crypto';
import type { Logger } from 'pino';
import type { CaBundleSource } from '../ca-bundle/ca-bundle-watcher';
import type { SvidFileReader } from '../storage/svid-files';
import { VolumeLayout } from '../storage/volume-layout';
import type { ManagedVolume } from '../volume/managed-volume';
import type { SvidFileNames } from '../volume/svid-payload';
import type { VolumeObserver } from '../volume/volume-observer';
import { workloadApiWanted } from '../volume/workload-api-attribute';
import { buildSvidState, sameSvidState, svidState, type SvidStateResult, type X509SvidState } from './svid-state';

/** One volume's endpoint, as the transport (gRPC) offers it; this module knows no more of it. */
export interface WorkloadEndpoint {
  update(state: X509SvidState | undefined, unavailableReason?: string): void;
  setGroup(gid: number | undefined): Promise<void>;
  close(): Promise<void>;
}

export type EndpointOpener = (socketPath: string, gid: number | undefined) => Promise<WorkloadEndpoint>;

export interface WorkloadVolumesDeps {
  dataRoot: string;
  socketName: string;
  fileNames: SvidFileNames;
  reader: SvidFileReader;
  caBundle: CaBundleSource;
  open: EndpointOpener;
  /** A Warning Event on the volume's Pod. */
  warnPod: (meta: ManagedVolume, reason: string, message: string) => void;
  logger: Logger;
}

/** Volumes (re-)served per batch after a CA bundle change or a restart (see inBatches). */
const BATCH = 32;

interface Served {
  endpoint: WorkloadEndpoint;
  meta: ManagedVolume;
  state?: X509SvidState;
}

/**
 * Keeps one Workload API endpoint per issued volume, serving exactly what the volume's files hold
 * (read back from one payload, so files and API agree) with the trust bundle: --source-ca-bundle
 * when configured, else the issuing request's status.ca. Its socket lives in the volume's data
 * directory, so the Pod sees it through its bind mount, and the location is the attestation.
 */
export class WorkloadVolumes implements VolumeObserver {
  private readonly layout: VolumeLayout;
  private readonly served = new Map<string, Served>();
  /** Per volume: the tail of its operations (the CA watcher calls outside the volume lock). */
  private readonly chains = new Map<string, Promise<void>>();
  /** Resumed volumes not yet taken up, in the order they will be (see volumeResumed). */
  private readonly resumed = new Map<string, ManagedVolume>();
  private adopting?: Promise<void>;

  constructor(private readonly deps: WorkloadVolumesDeps) {
    this.layout = new VolumeLayout(deps.dataRoot);
  }

  socketPath(volumeId: string): string {
    return join(this.layout.dataDir(volumeId), this.deps.socketName);
  }

  /** `svid` (fresh from issuance) is served as validated; without it, the files are read back and checked. */
  svidStored(meta: ManagedVolume, svid?: ValidatedX509Svid): Promise<void> {
    this.resumed.delete(meta.volumeId); // this report is newer
    return this.serialized(meta.volumeId, () => this.serve(meta, svid));
  }

  /**
   * On boot: served from its files later, a batch at a time (see inBatches). Serving all 1,000 at
   * once, alongside their renewals, kept a restarted driver unready for 7 s instead of 2. A volume
   * waits here, outside its chain, so a renewal or unpublish reported meanwhile simply replaces
   * it: a stale boot report can never be served after a renewal's.
   */
  volumeResumed(meta: ManagedVolume): void {
    this.resumed.set(meta.volumeId, meta);
    this.adopting ??= this.adoptResumed().finally(() => {
      this.adopting = undefined;
    });
  }

  volumeRemoved(volumeId: string): Promise<void> {
    this.resumed.delete(volumeId);
    return this.serialized(volumeId, () => this.stop(volumeId));
  }

  /** Every volume serves the current CA bundle (and is checked against it). */
  async bundleChanged(): Promise<void> {
    const volumes = [...this.served.values()].map(({ meta }) => meta);
    await inBatches(() => volumes.splice(0, BATCH), (meta) => this.svidStored(meta));
  }

  /** Shutdown: streams end, sockets stay (a restarted driver binds them again). */
  async closeAll(): Promise<void> {
    this.resumed.clear();
    await this.adopting;
    await Promise.all([...this.served.keys()].map((id) => this.serialized(id, async () => {
      await this.served.get(id)?.endpoint.close();
      this.served.delete(id);
    })));
  }

  /** Volume IDs with a running endpoint. */
  volumeIds(): string[] {
    return [...this.served.keys()].sort();
  }

  /** Takes resumed volumes up until none is left; each enters its chain only when its batch starts. */
  private async adoptResumed(): Promise<void> {
    const next = () => {
      const batch: ManagedVolume[] = [];
      for (const meta of this.resumed.values()) {
        if (batch.length === BATCH) break;
        batch.push(meta);
      }
      for (const meta of batch) this.resumed.delete(meta.volumeId);
      return batch;
    };
    await inBatches(next, (meta) => this.serialized(meta.volumeId, () => this.serve(meta)));
  }

  private async serve(meta: ManagedVolume, svid?: ValidatedX509Svid): Promise<void> {
    const { logger } = this.deps;
    if (!workloadApiWanted(meta.volumeContext)) return;
    try {
      let served = this.served.get(meta.volumeId);
      if (served && !this.socketPresent(meta.volumeId)) {
        // The data root was lost and remounted: the server listens on a socket nobody can reach.
        await served.endpoint.close();
        this.served.delete(meta.volumeId);
        served = undefined;
      }
      if (!served) {
        served = { endpoint: await this.deps.open(this.socketPath(meta.volumeId), meta.fsGroup), meta };
        this.served.set(meta.volumeId, served);
      } else if (served.meta.fsGroup !== meta.fsGroup) {
        await served.endpoint.setGroup(meta.fsGroup);
      }
      served.meta = meta;
      const result = svid ? svidState(svid) : await this.stateOf(meta);
      if (!result.ok) {
        served.state = undefined;
        served.endpoint.update(undefined, result.reason);
        logger.error({ volumeId: meta.volumeId, reason: result.reason }, 'Workload API: SVID not served');
        this.deps.warnPod(meta, 'WorkloadApiSvidRefused', `the Workload API does not serve this SVID: ${result.reason}`);
        return;
      }
      if (sameSvidState(served.state, result.state)) return; // a republish or an unchanged bundle
      served.state = result.state;
      served.endpoint.update(result.state);
      logger.debug({ volumeId: meta.volumeId }, 'Workload API: SVID served');
    } catch (error) {
      // The files are in place; only the socket is not (e.g. the driver's temp dir, which the bind
      // goes through, is not writable). The Pod's owner sees why its SPIFFE library cannot connect.
      const message = (error as Error).message;
      logger.error({ volumeId: meta.volumeId, err: message }, 'Workload API endpoint failed');
      this.deps.warnPod(meta, 'WorkloadApiUnavailable', `the Workload API endpoint for this volume failed: ${message}`);
    }
  }

  private async stateOf(meta: ManagedVolume): Promise<SvidStateResult> {
    const files = await this.deps.reader.read(meta.volumeId);
    const { certificate, key } = this.deps.fileNames;
    const bundle = this.deps.caBundle.current()?.toString('utf8') ?? meta.issuerCaPem ?? '';
    return buildSvidState({
      spiffeId: meta.spiffeId ?? '',
      chainPem: files[certificate]?.toString('utf8') ?? '',
      keyPem: files[key]?.toString('utf8') ?? '',
      bundlePem: bundle,
    });
  }

  /** Synchronous: one lstat on the data root's tmpfs, on every renewal's push (docs/decisions/0012). */
  private socketPresent(volumeId: string): boolean {
    return lstatSync(this.socketPath(volumeId), { throwIfNoEntry: false })?.isSocket() ?? false;
  }

  private async stop(volumeId: string): Promise<void> {
    const served = this.served.get(volumeId);
    this.served.delete(volumeId);
    try {
      await served?.endpoint.close();
      await rm(this.socketPath(volumeId), { force: true });
    } catch (error) {
      this.deps.logger.warn({ volumeId, err: (error as Error).message }, 'closing the Workload API endpoint failed');
    }
  }

  private serialized(volumeId: string, run: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(volumeId) ?? Promise.resolve()).then(run);
    this.chains.set(volumeId, next);
    void next.then(() => {
      if (this.chains.get(volumeId) === next) this.chains.delete(volumeId);
    });
    return next;
  }
}

/**
 * Runs `each` over `next()`'s batches until one comes back empty, a turn of the event loop before
 * each batch (so the caller's own synchronous work, such as a resume, finishes first). All at
 * once, 1,000 volumes queued thousands of file reads on libuv's 4 pool threads ahead of every
 * publish's and renewal's writes, ran 1,000 chain verifications (~3 ms each with P-521) back to
 * back, and kept /readyz from being answered.
 */
async function inBatches<T>(next: () => T[], each: (item: T) => Promise<void>): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    const batch = next();
    if (batch.length === 0) return;
    await Promise.all(batch.map(each));
  }
}
