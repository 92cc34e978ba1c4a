import { ChildProcess, spawn } from 'node:child_process';
import { COMMAND_TIMEOUT_MS, CommandRunner, assertPlainArgs, commandFailure } from './command-runner';
import { MountError } from './mount-error';

/**
 * The helper's whole program. Request: "<id>\n<argc>\n<arg1>\n...<argN>\n", each argument one
 * line in which every byte outside a plain set arrives as a "\0ooo" octal escape (encodeArgument),
 * so a newline, CR or any other byte in a path cannot split or join lines. Lines are read raw
 * (IFS= read -r), decoded with printf %b only when they hold an escape, and appended with
 * set -- "$@", so no argument is ever parsed as shell text. The command runs with stdin and stdout
 * on /dev/null (it must not eat the request stream) and stderr captured. Reply:
 * "<id> <exit code> <stderr byte count>\n" followed by exactly that many bytes of stderr: whatever
 * mount prints (CR, U+2028, a path with a newline) is counted, never parsed as framing.
 * LC_ALL=C (set at spawn) makes ${#err} count bytes in every shell. EOF on stdin ends the loop,
 * so the helper goes away with the driver.
 */
const HELPER_SCRIPT = `set -f
while IFS= read -r id && IFS= read -r argc; do
  set --
  i=0
  while [ "$i" -lt "$argc" ]; do
    IFS= read -r a || exit 0
    case $a in *\\\\*) a=$(printf '%bx' "$a"); a=\${a%x} ;; esac
    set -- "$@" "$a"
    i=$((i + 1))
  done
  err=$("$@" 2>&1 >/dev/null </dev/null)
  code=$?
  printf '%s %s %s\\n%s' "$id" "$code" "\${#err}" "$err"
done
`;

/** Bytes that pass through the request stream as themselves; every other byte is escaped. */
const PLAIN_BYTE = /[A-Za-z0-9/._~+=,:@%-]/;

/** One argument as one request line: printf %b turns the "\0ooo" escapes back into the bytes. */
export function encodeArgument(arg: string): string {
  let line = '';
  for (const byte of Buffer.from(arg, 'utf8')) {
    const char = String.fromCharCode(byte);
    line += byte < 0x80 && PLAIN_BYTE.test(char) ? char : `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return line;
}

export interface ShellHelperRunnerOptions {
  /** POSIX shell that runs HELPER_SCRIPT. Default /bin/sh. */
  shell?: string;
  /** Limit on one command's run time, counted from when the helper starts it. Default 30 s. */
  timeoutMs?: number;
}

interface Pending {
  binary: string;
  args: readonly string[];
  resolve(): void;
  reject(error: MountError): void;
}

/** The header line of a reply; the stderr bytes it counts follow it. */
const REPLY_HEADER = /^(\d+) (\d+) (\d+)$/;
const NEWLINE = 0x0a;

/** The stdio pipes are net.Sockets at runtime; only they can be unref'd. */
type Refable = { ref?(): void; unref?(): void };

/**
 * One spawned helper shell and the requests it owes answers to. The shell runs requests in order,
 * so the oldest pending request is the one executing, and the only one the timeout watches.
 */
class Helper {
  private readonly pending = new Map<number, Pending>();
  private readonly child: ChildProcess;
  private buffer: Buffer = Buffer.alloc(0);
  private stderrTail = '';
  private timer: NodeJS.Timeout | undefined;
  private gone = false;
  private exited = false;
  /** Settles once the shell has exited and its pipes are drained (or it never started). */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(
    shell: string,
    private readonly timeoutMs: number,
    private readonly onGone: (helper: Helper) => void,
  ) {
    this.closed = new Promise((done) => (this.markClosed = done));
    // detached: the helper leads its own process group, so a timeout can kill a hung mount with it.
    this.child = spawn(shell, ['-c', HELPER_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, LC_ALL: 'C' },
    });
    this.child.on('error', (err) => {
      this.fail(`mount helper ${shell} failed: ${err.message}`);
      if (this.child.pid === undefined) this.markExited(); // never started: no 'close' to wait for
    });
    this.child.on('exit', () => this.retire());
    this.child.on('close', (code, signal) => {
      this.fail(`mount helper exited (${signal ?? `code ${code}`}) before answering${this.describeStderr()}`);
      this.markExited();
    });
    this.child.stdin?.on('error', (err) => this.fail(`mount helper stdin failed: ${err.message}`));
    this.child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stdout?.on('error', (err) => this.fail(`mount helper stdout failed: ${err.message}`));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => (this.stderrTail = (this.stderrTail + chunk).slice(-512)));
    this.child.stderr?.on('error', () => undefined); // the stdout/exit paths report the failure
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the helper died, was killed or is closing: new requests need a new helper. */
  get usable(): boolean {
    return !this.gone && this.child.stdin?.writable === true;
  }

  send(id: number, request: Pending): void {
    const { binary, args } = request;
    if (this.pending.size === 0) this.setRef(true);
    this.pending.set(id, request);
    if (this.pending.size === 1) this.armTimer();
    const lines = [binary, ...args].map((a) => `${encodeArgument(a)}\n`).join('');
    this.child.stdin?.write(`${id}\n${args.length + 1}\n${lines}`);
  }

  /** Lets queued commands finish, then waits for the shell to exit; kills it after the timeout. */
  async close(): Promise<void> {
    this.retire();
    if (this.exited) return;
    this.child.stdin?.end();
    const killer = setTimeout(() => this.kill(), this.timeoutMs);
    await this.closed;
    clearTimeout(killer);
  }

  private retire(): void {
    this.gone = true;
    this.onGone(this);
  }

  private markExited(): void {
    this.exited = true;
    this.markClosed();
  }

  /** Takes every complete reply (header line plus the stderr bytes it announces) off the buffer. */
  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const newline = this.buffer.indexOf(NEWLINE);
      if (newline < 0) return;
      const header = REPLY_HEADER.exec(this.buffer.subarray(0, newline).toString('latin1'));
      if (!header) {
        this.kill(`mount helper sent an unexpected reply ${JSON.stringify(this.buffer.subarray(0, 200).toString())}`);
        return;
      }
      const end = newline + 1 + Number(header[3]);
      if (this.buffer.length < end) return; // the rest of this stderr is still on its way
      const stderr = this.buffer.subarray(newline + 1, end).toString('utf8');
      this.buffer = this.buffer.subarray(end);
      this.onReply(Number(header[1]), Number(header[2]), stderr);
    }
  }

  private onReply(id: number, code: number, stderr: string): void {
    const request = this.pending.get(id);
    // Replies come in request order; anything else means the stream is out of step: start over.
    if (!request || this.pending.keys().next().value !== id) {
      this.kill(`mount helper answered request ${id}, which is not the one it is running`);
      return;
    }
    this.pending.delete(id);
    this.armTimer();
    if (this.pending.size === 0) this.setRef(false);
    if (code === 0) request.resolve();
    else request.reject(commandFailure(request.binary, request.args, stderr.trim() || `exit code ${code}`));
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const [head] = this.pending.values();
    if (!head) return;
    this.timer = setTimeout(() => {
      const command = [head.binary, ...head.args].join(' ');
      this.kill(`mount helper killed: ${command} did not finish within ${this.timeoutMs} ms`);
    }, this.timeoutMs);
  }

  /** Kills the helper's whole process group (the shell and any command it is running). */
  private kill(reason?: string): void {
    this.retire();
    if (reason) this.fail(reason);
    const pid = this.child.pid;
    if (pid !== undefined && !this.exited) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL'); // no such group (already gone): at least the shell itself
      }
    }
  }

  /** Rejects everything still owed and retires the helper. */
  private fail(reason: string): void {
    this.retire();
    clearTimeout(this.timer);
    this.timer = undefined;
    const owed = [...this.pending.values()];
    this.pending.clear();
    this.setRef(false);
    for (const request of owed) request.reject(commandFailure(request.binary, request.args, reason));
  }

  /** An idle helper must not keep the driver alive; a busy one must, until its answers arrive. */
  private setRef(busy: boolean): void {
    const { stdin, stdout, stderr } = this.child;
    for (const handle of [this.child, stdin, stdout, stderr] as (Refable | null)[]) {
      if (busy) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  private describeStderr(): string {
    const tail = this.stderrTail.trim();
    return tail ? `: ${tail}` : '';
  }
}

/**
 * Runs commands through one long-lived /bin/sh spawned on first use, so the driver forks a tiny
 * shell once instead of its whole (hundreds of MB) process per mount. A helper that dies, errors
 * or hangs past the timeout is killed and its pending requests fail; the next run starts a new one.
 */
export class ShellHelperRunner implements CommandRunner {
  private readonly shell: string;
  private readonly timeoutMs: number;
  private helper: Helper | undefined;
  /** Every helper not yet exited, including retired ones still finishing or dying. */
  private readonly live = new Set<Helper>();
  private nextId = 1;
  private closing: Promise<void> | undefined;

  constructor(options: ShellHelperRunnerOptions = {}) {
    this.shell = options.shell ?? '/bin/sh';
    this.timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  }

  /** The current helper's pid, if one is running (tests, diagnostics). */
  get helperPid(): number | undefined {
    return this.helper?.pid;
  }

  run(binary: string, args: readonly string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      assertPlainArgs(binary, args);
      if (this.closing) throw new MountError(`refusing to run ${binary}: command runner is closed`, [binary, ...args]);
      if (!this.helper?.usable) this.helper = this.startHelper();
      this.helper.send(this.nextId++, { binary, args, resolve, reject });
    });
  }

  /** Lets requests already sent finish, then waits until no helper process is left. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.live].map((h) => h.close())).then(() => undefined);
    return this.closing;
  }

  private startHelper(): Helper {
    const helper = new Helper(this.shell, this.timeoutMs, (gone) => {
      if (this.helper === gone) this.helper = undefined;
    });
    this.live.add(helper);
    void helper.closed.then(() => this.live.delete(helper));
    return helper;
  }
}
