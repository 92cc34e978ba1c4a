import { validatePayloadNames, type Payload } from '../atomic-writer';
import { assertGid, type SvidFileReader, type SvidFileWriter } from '../svid-files';
import { VolumeLayout } from '../volume-layout';

/** In-memory twin: same validation and "identical payload → no rewrite" rule, counts real writes. */
export class InMemorySvidFiles implements SvidFileWriter, SvidFileReader {
  private readonly volumes = new Map<string, { files: Record<string, Buffer>; gid?: number }>();
  /** Number of writes that actually changed a volume's files. */
  writes = 0;

  async write(volumeId: string, files: Payload, gid?: number): Promise<void> {
    assertGid(gid);
    new VolumeLayout('/').volumeDir(volumeId); // same volume-ID rules as on disk
    const names = validatePayloadNames(files);
    const next = Object.fromEntries(names.map((n) => [n, Buffer.from(files[n])]));
    const current = this.volumes.get(volumeId);
    if (current && current.gid === gid && sameFiles(current.files, next)) return;
    this.volumes.set(volumeId, { files: next, gid });
    this.writes++;
  }

  async prepare(volumeId: string, gid?: number): Promise<void> {
    assertGid(gid);
    new VolumeLayout('/').volumeDir(volumeId);
  }

  async read(volumeId: string): Promise<Record<string, Buffer>> {
    const files = this.volumes.get(volumeId)?.files ?? {};
    return Object.fromEntries(Object.entries(files).map(([n, b]) => [n, Buffer.from(b)]));
  }

  gidOf(volumeId: string): number | undefined {
    return this.volumes.get(volumeId)?.gid;
  }

  volumeIds(): string[] {
    return [...this.volumes.keys()].sort();
  }

  remove(volumeId: string): void {
    this.volumes.delete(volumeId);
  }
}

function sameFiles(a: Record<string, Buffer>, b: Record<string, Buffer>): boolean {
  const names = Object.keys(a).sort();
  if (names.join('\0') !== Object.keys(b).sort().join('\0')) return false;
  return names.every((n) => a[n].equals(b[n]));
}
