import { readFile } from 'node:fs/promises';

/** One line of /proc/<pid>/mountinfo (see proc(5)), with octal escapes decoded. */
export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  /** st_dev of the filesystem, "major:minor": two mounts with the same device share one superblock. */
  device: string;
  /** Path inside the source filesystem that is mounted here (for bind mounts, the bound subtree). */
  root: string;
  mountPoint: string;
  /** Per-mount options, e.g. ['ro', 'nosuid']. */
  mountOptions: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** The kernel escapes space, tab, newline and backslash in paths as \ooo (e.g. "\040"). */
export function decodeMountInfoField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    // Optional fields (shared:N, master:N, ...) end at a lone "-".
    const separator = fields.indexOf('-', 6);
    if (fields.length < 10 || separator < 0 || fields.length < separator + 3) continue; // malformed: skip
    entries.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      device: fields[2],
      root: decodeMountInfoField(fields[3]),
      mountPoint: decodeMountInfoField(fields[4]),
      mountOptions: fields[5].split(','),
      fsType: fields[separator + 1],
      source: decodeMountInfoField(fields[separator + 2]),
      superOptions: (fields[separator + 3] ?? '').split(','),
    });
  }
  return entries;
}

export async function readMountInfo(file = '/proc/self/mountinfo'): Promise<MountInfoEntry[]> {
  return parseMountInfo(await readFile(file, 'utf8'));
}

/**
 * The topmost mount at exactly `mountPoint`. A mount stacked on another at the same path has the
 * lower one as its parent, so the topmost is the one no other mount at that path names as parent.
 */
export function topmostMountAt(entries: MountInfoEntry[], mountPoint: string): MountInfoEntry | undefined {
  const here = entries.filter((e) => e.mountPoint === mountPoint);
  const parents = new Set(here.map((e) => e.parentId));
  return here.find((e) => !parents.has(e.mountId)) ?? here.at(-1);
}
