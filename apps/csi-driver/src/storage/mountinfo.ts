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
    const entry = parseMountInfoLine(line);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** One mountinfo line; undefined for a blank or malformed one. */
export function parseMountInfoLine(line: string): MountInfoEntry | undefined {
  if (line.trim() === '') return undefined;
  const fields = line.split(' ');
  // Optional fields (shared:N, master:N, ...) end at a lone "-".
  const separator = fields.indexOf('-', 6);
  if (fields.length < 10 || separator < 0 || fields.length < separator + 3) return undefined; // malformed: skip
  return {
    mountId: Number(fields[0]),
    parentId: Number(fields[1]),
    device: fields[2],
    root: decodeMountInfoField(fields[3]),
    mountPoint: decodeMountInfoField(fields[4]),
    mountOptions: fields[5].split(','),
    fsType: fields[separator + 1],
    source: decodeMountInfoField(fields[separator + 2]),
    superOptions: (fields[separator + 3] ?? '').split(','),
  };
}

/** The kernel's escaping of paths in mountinfo (show_mountinfo: space, tab, newline, backslash). */
export function encodeMountInfoField(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * The entries mounted at exactly `mountPoint`, found by searching the text for the escaped path
 * and parsing only the lines that hold it. A node with 1,000 volumes has ~2,000 mounts; splitting
 * and parsing every line on each look-up made mountinfo most of what a publish allocated.
 */
export function mountInfoEntriesAt(text: string, mountPoint: string): MountInfoEntry[] {
  const needle = ` ${encodeMountInfoField(mountPoint)} `;
  const entries: MountInfoEntry[] = [];
  for (let at = text.indexOf(needle); at >= 0; ) {
    const start = text.lastIndexOf('\n', at) + 1;
    const newline = text.indexOf('\n', at);
    const end = newline < 0 ? text.length : newline;
    const entry = parseMountInfoLine(text.slice(start, end));
    // The path may also appear as another line's root or source: only the mount point field counts.
    if (entry?.mountPoint === mountPoint) entries.push(entry);
    at = newline < 0 ? -1 : text.indexOf(needle, end);
  }
  return entries;
}

export async function readMountInfo(file = '/proc/self/mountinfo'): Promise<MountInfoEntry[]> {
  return parseMountInfo(await readFile(file, 'utf8'));
}

/** The topmost mount at exactly `mountPoint` in the mount table `file`, undefined if none. */
export async function readTopmostMountAt(mountPoint: string, file = '/proc/self/mountinfo'): Promise<MountInfoEntry | undefined> {
  return topmostMountAt(mountInfoEntriesAt(await readFile(file, 'utf8'), mountPoint), mountPoint);
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
