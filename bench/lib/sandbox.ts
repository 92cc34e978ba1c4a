// Confines everything a run creates to one temp dir (the harnesses use os.tmpdir(), which follows
// TMPDIR) and undoes it all at the end: child processes, mounts under it, the dir itself.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmountAllUnder } from '../../test/e2e/stack';
import { onCleanup } from './cleanup';

/** Our direct children still alive, found by parent pid in /proc. */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

export function enterSandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spiffe-bench-'));
  process.env.TMPDIR = dir;
  onCleanup('sandbox', async () => {
    for (const pid of childPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 200)); // let the kernel release their mounts' busy files
    await unmountAllUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
