import { posix, resolve } from 'node:path';
import type { MountIdentity } from '../mount-identity';
import { MountError, Mounter, MountView, TmpfsOptions } from '../mounter';

export interface FakeMount {
  path: string;
  /** 'bind' is a bind of `source`; its view reports the fs type of whatever `source` lies on. */
  fsType: 'tmpfs' | 'bind' | 'ext4';
  source: string;
  readOnly: boolean;
}

export type FakeMounterCall =
  | { op: 'mountTmpfs'; path: string; options?: TmpfsOptions }
  | { op: 'bindReadOnly'; src: string; dst: string }
  | { op: 'unmount'; path: string };

type FailableOp = FakeMounterCall['op'];

/** A mount plus the mountinfo facts the driver compares (id, device, root inside the device). */
interface Entry extends FakeMount {
  view: MountView;
}

/**
 * In-memory twin of LinuxMounter for tests without root: keeps a stack of mounts per path,
 * records every mutating call, and can be told to fail the next call of a given kind. Like the
 * kernel, a bind gets the device of the filesystem its source lies on and the source's path
 * inside it as root, so ownership checks behave as with real mountinfo.
 */
export class FakeMounter implements Mounter {
  readonly calls: FakeMounterCall[] = [];
  private readonly mounts = new Map<string, Entry[]>();
  private readonly failures = new Map<FailableOp, Error>();
  private nextId = 100;

  /** Seed a mount that "already existed" (e.g. a tmpfs surviving a driver restart). */
  preMount(mount: FakeMount): void {
    const path = resolve(mount.path);
    const mountId = this.nextId++;
    const under = mount.fsType === 'bind' ? this.containing(resolve(mount.source)) : undefined;
    const view: MountView = under
      ? { mountId, device: under.view.device, fsType: under.view.fsType, source: under.view.source, mountPoint: path,
        root: posix.join(under.view.root, posix.relative(under.path, resolve(mount.source))) }
      : { mountId, device: `0:${mountId}`, fsType: mount.fsType, source: mount.source, mountPoint: path, root: '/' };
    this.mounts.set(path, [...(this.mounts.get(path) ?? []), { ...mount, path, view }]);
  }

  failNext(op: FailableOp, error: Error = new MountError(`${op} failed (injected)`, [])): void {
    this.failures.set(op, error);
  }

  /** Every current mount, topmost last per path. */
  list(): FakeMount[] {
    return [...this.mounts.values()].flat().map(({ path, fsType, source, readOnly }) => ({ path, fsType, source, readOnly }));
  }

  async mountTmpfs(path: string, options?: TmpfsOptions): Promise<void> {
    this.record({ op: 'mountTmpfs', path: resolve(path), ...(options ? { options } : {}) });
    this.preMount({ path, fsType: 'tmpfs', source: 'tmpfs', readOnly: false });
  }

  async bindReadOnly(src: string, dst: string): Promise<MountView> {
    this.record({ op: 'bindReadOnly', src: resolve(src), dst: resolve(dst) });
    this.preMount({ path: dst, fsType: 'bind', source: resolve(src), readOnly: true });
    return (await this.mountAt(dst))!;
  }

  async unmount(path: string): Promise<void> {
    const target = resolve(path);
    this.record({ op: 'unmount', path: target });
    const stack = this.mounts.get(target);
    if (!stack) return;
    stack.pop();
    if (stack.length === 0) this.mounts.delete(target);
  }

  async isMountPoint(path: string): Promise<boolean> {
    return this.mounts.has(resolve(path));
  }

  async mountedFsType(path: string): Promise<string | undefined> {
    return (await this.mountAt(path))?.fsType;
  }

  async mountAt(path: string): Promise<MountView | undefined> {
    const top = this.mounts.get(resolve(path))?.at(-1);
    return top && { ...top.view };
  }

  async mountOf(path: string): Promise<MountIdentity | undefined> {
    const entry = this.containing(resolve(path));
    return entry && { mountId: entry.view.mountId, device: entry.view.device };
  }

  /** The topmost mount whose path is `path` or an ancestor of it. */
  private containing(path: string): Entry | undefined {
    let best: Entry | undefined;
    for (const [mountPoint, stack] of this.mounts) {
      const inside = path === mountPoint || path.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
      if (inside && (!best || mountPoint.length > best.path.length)) best = stack.at(-1);
    }
    return best;
  }

  private record(call: FakeMounterCall): void {
    this.calls.push(call);
    const failure = this.failures.get(call.op);
    if (failure) {
      this.failures.delete(call.op);
      throw failure;
    }
  }
}
