import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readMountInfo } from '../mountinfo';

const execFileAsync = promisify(execFile);

export const isRoot = process.getuid?.() === 0;
export const ROOT_ONLY = 'needs root (real mounts / chown); run the tests as root to cover this';

/**
 * A temp dir for tests that mount things: cleanup() unmounts whatever is still mounted below it,
 * deepest first and however the test ended, then deletes it. Test support only.
 */
export class MountSandbox {
  private constructor(readonly dir: string) {}

  static async create(prefix = 'csi-storage-'): Promise<MountSandbox> {
    return new MountSandbox(await mkdtemp(join(tmpdir(), prefix)));
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async mountsBelow(): Promise<string[]> {
    const entries = await readMountInfo();
    return entries.map((e) => e.mountPoint).filter((p) => p === this.dir || p.startsWith(`${this.dir}/`));
  }

  async cleanup(): Promise<void> {
    for (let round = 0; round < 16; round++) {
      const mounts = (await this.mountsBelow()).sort((a, b) => b.length - a.length);
      if (mounts.length === 0) break;
      for (const mount of mounts) await execFileAsync('umount', ['-l', mount]).catch(() => undefined);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
