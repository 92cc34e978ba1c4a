// Open FetchX509SVID streams on many volumes from the bench process, as workloads hold them, and
// what arrives on them when: the raw material of the Workload API latency figures.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, type Client, type ClientReadableStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { mapLimit } from './stats';

interface SvidMessage {
  svids: { bundle: Buffer }[];
}

/** One volume's stream: when each message arrived, what bundle it carried, when its files were swapped. */
export interface VolumeStream {
  volumeId: string;
  messages: { at: number; bundle: Buffer }[];
  /** performance.now() of every swap of the volume's `..data` link (a renewal or a CA rewrite). */
  swaps: number[];
}

type WorkloadStub = Client & { FetchX509SVID(req: object, md: Metadata): ClientReadableStream<SvidMessage> };

/**
 * A stream per volume, each on its own client (own connection), dialled through a short symlink
 * to the volume's data dir (the socket's real path is longer than sun_path allows), plus an
 * inotify watch on that dir for the atomic writer's `..data` swaps.
 */
export class StreamFleet {
  readonly streams: VolumeStream[] = [];
  private readonly clients: Client[] = [];
  private readonly watchers: FSWatcher[] = [];

  private constructor(private readonly linkDir: string) {}

  static async open(dataRoot: string, volumeIds: string[], socketName = 'workload.sock'): Promise<StreamFleet> {
    const proto = loadPackageDefinition(loadSync(join(__dirname, '../../proto/workload.proto'), { keepCase: true }));
    const Stub = proto.SpiffeWorkloadAPI as unknown as new (address: string, creds: unknown) => WorkloadStub;
    const fleet = new StreamFleet(await mkdtemp(join(tmpdir(), 'wlb-')));
    await mapLimit(volumeIds, 50, async (volumeId, i) => {
      const dataDir = join(dataRoot, volumeId, 'data');
      const link = join(fleet.linkDir, String(i));
      await symlink(dataDir, link);
      const entry: VolumeStream = { volumeId, messages: [], swaps: [] };
      fleet.streams.push(entry);
      fleet.watchers.push(watch(dataDir, (_event, name) => {
        if (name === '..data') entry.swaps.push(performance.now());
      }));
      const client = new Stub(`unix:${join(link, socketName)}`, credentials.createInsecure());
      fleet.clients.push(client);
      const md = new Metadata();
      md.set('workload.spiffe.io', 'true');
      const stream = client.FetchX509SVID({}, md);
      stream.on('data', (m: SvidMessage) => entry.messages.push({ at: performance.now(), bundle: m.svids[0]?.bundle ?? Buffer.alloc(0) }));
      stream.on('error', () => undefined); // ended by the driver's restart or the bench's close
    });
    return fleet;
  }

  /** Renewal pushes: for every message after the first, the time since the swap that preceded it, ms. */
  renewalLatencies(since: number): number[] {
    const out: number[] = [];
    for (const s of this.streams) {
      for (const m of s.messages.slice(1)) {
        const swap = s.swaps.filter((t) => t >= since && t <= m.at).at(-1);
        if (swap !== undefined) out.push(m.at - swap);
      }
    }
    return out;
  }

  close(): Promise<void> {
    for (const w of this.watchers.splice(0)) w.close();
    for (const c of this.clients.splice(0)) c.close();
    return rm(this.linkDir, { recursive: true, force: true });
  }
}
