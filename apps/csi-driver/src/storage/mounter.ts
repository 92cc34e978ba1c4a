import { mkdir, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CommandRunner, ForkingCommandRunner } from './command-runner';
import { MountError } from './mount-error';
import { mountIdentityOf, type MountIdentity } from './mount-identity';
import { MountInfoEntry, readTopmostMountAt } from './mountinfo';
import { ShellHelperRunner } from './shell-helper-runner';

export { MountError } from './mount-error';

/** The only way the driver touches mounts, so everything else can be tested without root. */
export interface Mounter {
  mountTmpfs(path: string, options?: TmpfsOptions): Promise<void>;
  /**
   * Bind `src` onto `dst` and make the bind read-only (dst is created if missing). Not idempotent:
   * callers check isMountPoint(dst) first, as a republish of a mounted target must not stack binds.
   * Resolves with the read-only mount now at `dst`, as the mount table shows it.
   */
  bindReadOnly(src: string, dst: string): Promise<MountView>;
  /** Idempotent: a path that is not a mount point (or does not exist) is fine. */
  unmount(path: string): Promise<void>;
  isMountPoint(path: string): Promise<boolean>;
  /** Filesystem type of the topmost mount at exactly `path`, undefined if none. */
  mountedFsType(path: string): Promise<string | undefined>;
  /** The topmost mount at exactly `path` (symlinks resolved) as mountinfo shows it, undefined if none. */
  mountAt(path: string): Promise<MountView | undefined>;
  /**
   * The mount `path` lies on (ID and device), in O(1) where mountAt is O(mounts); undefined when
   * it cannot be told that way (callers then ask mountAt). For checks made before every write.
   */
  mountOf(path: string): Promise<MountIdentity | undefined>;
}

/** What the driver needs to know about one mount to tell its own from anyone else's. */
export type MountView = Pick<MountInfoEntry, 'mountId' | 'device' | 'root' | 'fsType' | 'source' | 'mountPoint'>;

export interface TmpfsOptions {
  /** tmpfs size= value: bytes or a suffixed string like '64k', '16m'. Default: kernel default (half of RAM). */
  size?: number | string;
}

/** Flags every mount the driver makes should carry: SVIDs are data, never executables or devices. */
const SAFE_FLAGS = 'nosuid,nodev,noexec';

export interface LinuxMounterOptions {
  mountInfoFile?: string;
  mountBinary?: string;
  umountBinary?: string;
  /**
   * How mount/umount are run. 'helper' (default): through one long-lived /bin/sh, so the driver
   * never forks its own large process per mount. 'fork': execFile per command (safety valve).
   */
  runner?: 'helper' | 'fork' | CommandRunner;
}

/**
 * util-linux mount/umount with argv passed as data (never parsed by a shell); mount state from
 * /proc/self/mountinfo. close() on shutdown stops the helper process.
 */
export class LinuxMounter implements Mounter {
  private readonly mountInfoFile: string;
  private readonly mountBinary: string;
  private readonly umountBinary: string;
  private readonly runner: CommandRunner;

  constructor(options: LinuxMounterOptions = {}) {
    this.mountInfoFile = options.mountInfoFile ?? '/proc/self/mountinfo';
    this.mountBinary = options.mountBinary ?? 'mount';
    this.umountBinary = options.umountBinary ?? 'umount';
    const runner = options.runner ?? 'helper';
    this.runner =
      runner === 'helper' ? new ShellHelperRunner() : runner === 'fork' ? new ForkingCommandRunner() : runner;
  }

  async mountTmpfs(path: string, options: TmpfsOptions = {}): Promise<void> {
    const target = resolve(path);
    const size = options.size === undefined ? '' : `,size=${validTmpfsSize(options.size)}`;
    await mkdir(target, { recursive: true, mode: 0o700 });
    await this.run(this.mountBinary, ['-t', 'tmpfs', '-o', `mode=0700,${SAFE_FLAGS}${size}`, 'tmpfs', target]);
  }

  async bindReadOnly(src: string, dst: string): Promise<MountInfoEntry> {
    const source = resolve(src);
    const target = resolve(dst);
    await mkdir(target, { recursive: true, mode: 0o750 });
    // One mount(8) run on the publish path: util-linux ≥ 2.27 turns "--bind -o ro" into bind + read-only
    // remount itself. Older ones silently leave the bind writable, so check, and remount if needed.
    await this.run(this.mountBinary, ['--bind', '-o', `ro,${SAFE_FLAGS}`, source, target]);
    try {
      let entry = await this.mountAt(target);
      if (!entry?.mountOptions.includes('ro')) {
        await this.run(this.mountBinary, ['-o', `remount,bind,ro,${SAFE_FLAGS}`, target]);
        entry = await this.mountAt(target);
      }
      if (!entry?.mountOptions.includes('ro')) {
        throw new MountError(`bind mount of ${source} at ${target} is not read-only after remount`, []);
      }
      return entry;
    } catch (err) {
      // Never leave a writable view of the SVID files behind.
      await this.run(this.umountBinary, [target]).catch(() => undefined);
      throw err;
    }
  }

  async unmount(path: string): Promise<void> {
    if (!(await this.isMountPoint(path))) return;
    try {
      await this.run(this.umountBinary, [resolve(path)]);
    } catch (err) {
      // Someone else unmounted it in between: the goal is reached.
      if (await this.isMountPoint(path)) throw err;
    }
  }

  async isMountPoint(path: string): Promise<boolean> {
    const real = await realpathIfExists(path);
    if (real === undefined) return false;
    // O(1) where the kernel tells: a path is a mount point exactly when it lies on another mount
    // than its parent directory. Files, "/" and substitute mount tables go through mountinfo.
    if (real !== '/') {
      const [here, parent] = await Promise.all([this.mountOf(real), this.mountOf(dirname(real))]);
      if (here && parent) return here.mountId !== parent.mountId;
    }
    return (await readTopmostMountAt(real, this.mountInfoFile)) !== undefined;
  }

  async mountedFsType(path: string): Promise<string | undefined> {
    return (await this.mountAt(path))?.fsType;
  }

  async mountAt(path: string): Promise<MountInfoEntry | undefined> {
    const real = await realpathIfExists(path);
    return real === undefined ? undefined : readTopmostMountAt(real, this.mountInfoFile);
  }

  async mountOf(path: string): Promise<MountIdentity | undefined> {
    // A substitute mount table (tests) is what mountAt answers from: the live kernel's would disagree.
    if (!this.readsLiveMountTable()) return undefined;
    return mountIdentityOf(resolve(path)).catch(() => undefined);
  }

  /** Stops the runner's helper process once commands already started have finished. */
  close(): Promise<void> {
    return this.runner.close();
  }

  private readsLiveMountTable(): boolean {
    return this.mountInfoFile === '/proc/self/mountinfo';
  }

  private run(binary: string, args: string[]): Promise<void> {
    return this.runner.run(binary, args);
  }
}

async function realpathIfExists(path: string): Promise<string | undefined> {
  try {
    return await realpath(resolve(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function validTmpfsSize(size: number | string): string {
  const text = String(size);
  if (!/^\d+[kmgKMG%]?$/.test(text)) throw new MountError(`invalid tmpfs size ${JSON.stringify(text)}`, []);
  return text;
}
