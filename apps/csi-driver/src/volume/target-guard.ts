import { lstat, realpath } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { parseCertificateChain } from '@spiffe-csi/crypto';
import { DomainError } from '../domain-error';
import { AtomicWriter } from '../storage/atomic-writer';
import type { DataRoot } from '../storage/data-root';
import { DATA_ROOT, MOUNTER } from '../storage/ports';
import type { Mounter, MountView } from './ports';

/**
 * What is mounted at a target path, seen from this volume:
 * - none: nothing;
 * - ours: the bind of this volume's data dir from the data root tmpfs;
 * - stale: a bind of this volume's data dir from a tmpfs that is no longer our data root (it was
 *   lost and remounted): still ours to replace;
 * - foreign: anything else, which the driver never mounts over nor unmounts.
 */
export type TargetState = 'none' | 'ours' | 'stale' | 'foreign';

/**
 * The filesystem half of target-path confinement (the textual half, kubelet's path shape, is
 * checked in csi/target-path.ts) and the one place that decides whether a mount is ours.
 */
@Injectable()
export class TargetGuard {
  private resolvedRoot: Promise<string> | undefined;

  constructor(
    @Inject(MOUNTER) private readonly mounter: Mounter,
    @Inject(DATA_ROOT) private readonly dataRoot: Pick<DataRoot, 'path' | 'mount'>,
  ) {}

  /**
   * Refuses (INVALID_ARGUMENT) a target that lies inside the data root or over it, or whose path
   * holds a symlink anywhere: the part that exists must be its own real path. Creates nothing.
   * Checked before anything is written and again right before mounting.
   */
  async confine(targetPath: string): Promise<void> {
    const roots = new Set([this.dataRoot.path, await this.dataRootRealPath()]);
    for (const root of roots) {
      if (isSameOrBelow(targetPath, root)) throw invalidTarget(`target_path ${targetPath} lies inside the driver's data root`);
      if (isSameOrBelow(root, targetPath)) throw invalidTarget(`target_path ${targetPath} contains the driver's data root`);
    }
    const existing = await longestExistingPrefix(targetPath);
    const real = await realpath(existing).catch(() => undefined); // a dangling symlink does not resolve
    if (real !== existing) {
      throw invalidTarget(`target_path must not contain symlinks: ${existing} resolves to ${real ?? 'nothing'}`);
    }
  }

  /**
   * The data root's real path, resolved once it resolves: the driver's own flag, set up by the
   * driver at start, so re-resolving it (a readlink per path component) on every call bought nothing.
   */
  private dataRootRealPath(): Promise<string> {
    this.resolvedRoot ??= realpath(this.dataRoot.path).catch(() => {
      this.resolvedRoot = undefined; // not there yet (tests, before the first mount): ask again next time
      return this.dataRoot.path;
    });
    return this.resolvedRoot;
  }

  /** What is mounted at the (confined) target, from this volume's point of view. */
  async classify(targetPath: string, volumeId: string): Promise<TargetState> {
    // The O(1) question first: most targets (every first publish) have nothing mounted.
    if (!(await this.mounter.isMountPoint(targetPath))) return 'none';
    return this.judge(await this.mounter.mountAt(targetPath), volumeId);
  }

  /** classify's verdict on a mount already read (e.g. the bind just made). */
  judge(view: MountView | undefined, volumeId: string): TargetState {
    if (!view) return 'none';
    const bindRoot = `/${volumeId}/data`;
    // A bind whose source dir was removed (e.g. orphan cleanup of corrupt metadata) shows "<root>//deleted".
    const viewRoot = view.root.replace(/\/\/deleted$/, '');
    const root = this.dataRoot.mount;
    if (root && view.device === root.device && viewRoot === posix.join(root.root, bindRoot)) return 'ours';
    if (view.fsType === 'tmpfs' && viewRoot.endsWith(bindRoot) && view.device !== root?.device) return 'stale';
    return 'foreign';
  }
}

/**
 * The SPIFFE IDs of the certificates a (stale) bind at the target still shows the Pod. After the
 * data root was lost, this is the only record left of whom the volume was issued to.
 */
export async function spiffeIdsShownAt(targetPath: string): Promise<string[]> {
  const files = await new AtomicWriter(targetPath).read().catch(() => ({}));
  const ids = new Set<string>();
  for (const content of Object.values(files)) {
    if (!content.includes('-----BEGIN CERTIFICATE-----')) continue;
    try {
      for (const uri of parseCertificateChain(content.toString('utf8'))[0]?.uriSans ?? []) {
        if (uri.startsWith('spiffe://')) ids.add(uri);
      }
    } catch {
      // not a certificate chain after all
    }
  }
  return [...ids];
}

function isSameOrBelow(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** lstat, not stat: a symlink (even a dangling one) counts as existing, so realpath gets to judge it. */
async function longestExistingPrefix(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await lstat(p);
      return p;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw invalidTarget(`target_path ${path} goes through something that is not a directory`);
      if (code !== 'ENOENT' || p === '/') throw err;
    }
  }
}

function invalidTarget(message: string): DomainError {
  return new DomainError('invalid-request', message);
}
