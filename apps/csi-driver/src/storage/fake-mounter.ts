import { resolve } from 'node:path';
import { MountError, Mounter, TmpfsOptions } from './mounter';

export interface FakeMount {
  path: string;
  fsType: 'tmpfs' | 'bind';
  source: string;
  readOnly: boolean;
}

export type FakeMounterCall =
  | { op: 'mountTmpfs'; path: string; options?: TmpfsOptions }
  | { op: 'bindReadOnly'; src: string; dst: string }
  | { op: 'unmount'; path: string };

type FailableOp = FakeMounterCall['op'];

/**
 * In-memory twin of LinuxMounter for tests without root: keeps a stack of mounts per path,
 * records every mutating call, and can be told to fail the next call of a given kind.
 */
export class FakeMounter implements Mounter {
  readonly calls: FakeMounterCall[] = [];
  private readonly mounts = new Map<string, FakeMount[]>();
  private readonly failures = new Map<FailableOp, Error>();

  /** Seed a mount that "already existed" (e.g. a tmpfs surviving a driver restart). */
  preMount(mount: FakeMount): void {
    const path = resolve(mount.path);
    this.mounts.set(path, [...(this.mounts.get(path) ?? []), { ...mount, path }]);
  }

  failNext(op: FailableOp, error: Error = new MountError(`${op} failed (injected)`, [])): void {
    this.failures.set(op, error);
  }

  /** Every current mount, topmost last per path. */
  list(): FakeMount[] {
    return [...this.mounts.values()].flat();
  }

  async mountTmpfs(path: string, options?: TmpfsOptions): Promise<void> {
    this.record({ op: 'mountTmpfs', path: resolve(path), ...(options ? { options } : {}) });
    this.preMount({ path, fsType: 'tmpfs', source: 'tmpfs', readOnly: false });
  }

  async bindReadOnly(src: string, dst: string): Promise<void> {
    this.record({ op: 'bindReadOnly', src: resolve(src), dst: resolve(dst) });
    this.preMount({ path: dst, fsType: 'bind', source: resolve(src), readOnly: true });
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
    return this.mounts.get(resolve(path))?.at(-1)?.fsType;
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
