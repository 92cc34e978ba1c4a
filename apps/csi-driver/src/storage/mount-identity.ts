import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** Which mount a path lies on, in mountinfo's terms (its mount ID and "major:minor" device). */
export interface MountIdentity {
  mountId: number;
  device: string;
}

/**
 * Linux's dev_t encoding (glibc's gnu_dev_major/minor): major is bits 8-19 and 44-63, minor bits
 * 0-7 and 20-43. bigint because a 64-bit dev_t does not fit a double exactly; the masks are
 * glibc's 32-bit ones (an unbounded ~0xff would pull the major's high bits into the minor).
 */
export function deviceString(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return `${major}:${minor}`;
}

/** The `mnt_id:` line of /proc/<pid>/fdinfo/<fd> (Linux ≥ 3.15). */
export function parseFdinfoMountId(text: string): number | undefined {
  const match = /^mnt_id:\s*(\d+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * The mount `dir` lies on, in O(1): open it, read the fd's mnt_id from /proc/self/fdinfo and its
 * st_dev. Reading /proc/self/mountinfo instead costs O(mounts), and a node with 1,000 volumes has
 * 1,000 bind mounts, so checking it before every write made a renewal wave of 1,000 volumes O(N²).
 * Undefined when the kernel does not tell (no fdinfo mnt_id): callers then read mountinfo.
 *
 * Synchronous on purpose: four syscalls of a few microseconds each on a local directory (the data
 * root, kubelet's pod dirs) and procfs, which never wait on a device. Through libuv's pool each
 * would cost a thread hand-off several times its own price; asked several times per publish, the
 * async version was a measurable share of a publish's CPU.
 */
export async function mountIdentityOf(dir: string): Promise<MountIdentity | undefined> {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    let fdinfo = '';
    try {
      fdinfo = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      // no procfs: the caller reads mountinfo
    }
    const mountId = parseFdinfoMountId(fdinfo);
    return mountId === undefined ? undefined : { mountId, device: deviceString(fstatSync(fd, { bigint: true }).dev) };
  } finally {
    closeSync(fd);
  }
}
