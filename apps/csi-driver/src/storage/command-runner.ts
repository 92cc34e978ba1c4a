import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MountError } from './mount-error';

const execFileAsync = promisify(execFile);

/** Default per-command limit: a mount that takes longer is hung, not slow. */
export const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Runs one mount-related command to completion. The binary is chosen by LinuxMounter from its own
 * options, never from request data; args may carry kubelet-supplied paths.
 */
export interface CommandRunner {
  /** Resolves on exit code 0; otherwise rejects with a MountError carrying the command's stderr. */
  run(binary: string, args: readonly string[]): Promise<void>;
  /** Releases whatever the runner holds (a helper process); later runs are refused. */
  close(): Promise<void>;
}

/**
 * The error every runner reports for a failed command. stderr is folded onto one line (so a log
 * line or gRPC message never breaks), so both runners give the same text for the same failure.
 */
export function commandFailure(binary: string, args: readonly string[], stderr: string): MountError {
  const command = [binary, ...args];
  return new MountError(`${command.join(' ')} failed`, command, stderr.replace(/\s+/g, ' ').trim());
}

/**
 * Refuses what argv itself cannot carry: a NUL would truncate the argument. Every other byte is
 * passed intact by both runners. Checked by every runner so both behave the same.
 */
export function assertPlainArgs(binary: string, args: readonly string[]): void {
  for (const value of [binary, ...args]) {
    if (value.includes('\0')) {
      throw new MountError(`refusing to run ${binary}: an argument contains a NUL byte`, [binary, ...args]);
    }
  }
}

/**
 * One execFile per command: forks the whole Node process each time (slow with a large heap), but
 * has no moving parts. Kept as a fallback and for comparison.
 */
export class ForkingCommandRunner implements CommandRunner {
  private closed = false;

  constructor(private readonly timeoutMs = COMMAND_TIMEOUT_MS) {}

  async run(binary: string, args: readonly string[]): Promise<void> {
    assertPlainArgs(binary, args);
    if (this.closed) throw new MountError(`refusing to run ${binary}: command runner is closed`, [binary, ...args]);
    try {
      await execFileAsync(binary, [...args], { timeout: this.timeoutMs });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw commandFailure(binary, args, (e.stderr ?? '').trim() || e.message);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
