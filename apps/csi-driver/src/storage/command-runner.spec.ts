import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForkingCommandRunner } from './command-runner';
import { MountError } from './mount-error';
import { readMountInfo } from './mountinfo';
import { ShellHelperRunner } from './shell-helper-runner';
import { ROOT_ONLY, MountSandbox, isRoot } from './testing/mount-sandbox';
import { eventually } from '../../../../test/support/eventually';

/** Live (non-zombie) processes whose process group is `pgid`: the helper and anything it runs. */
async function liveProcessesInGroup(pgid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const text = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after its closing paren.
    const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') found.push(Number(name));
  }
  return found;
}

async function rejection(promise: Promise<unknown>): Promise<MountError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MountError);
  return error as MountError;
}

function helperHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap' || r === 'PipeWrap').length;
}

/** Leading/trailing spaces, quotes, $, backticks, a backslash, a glob and a separator. */
const AWKWARD = `  sp ace 'q' "dq" $HOME \`id\` $(id) \\n * ; end  `;

describe('ShellHelperRunner', () => {
  let box: MountSandbox;
  let runner: ShellHelperRunner;

  beforeEach(async () => {
    box = await MountSandbox.create('csi runner ');
    runner = new ShellHelperRunner();
  });
  afterEach(async () => {
    await runner.close();
    await box.cleanup();
  });

  it.skipIf(!isRoot)(`mounts a tmpfs and a read-only bind through the helper (${ROOT_ONLY})`, async () => {
    const root = box.path('root');
    const target = box.path('target');
    await mkdir(root);
    await mkdir(target);
    await runner.run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root]);
    await mkdir(`${root}/src`);
    await writeFile(`${root}/src/f`, 'data');
    await runner.run('mount', ['--bind', '-o', 'ro', `${root}/src`, target]);

    expect(await box.mountsBelow()).toEqual([root, target]);
    expect(await readFile(`${target}/f`, 'utf8')).toBe('data');
    await expect(writeFile(`${target}/f`, 'evil')).rejects.toMatchObject({ code: 'EROFS' });
    await runner.run('umount', [target]);
    await runner.run('umount', [root]);
    expect(await box.mountsBelow()).toEqual([]);
  });

  it('refuses an argument with a NUL without starting (or writing to) a helper', async () => {
    const nul = await rejection(runner.run('umount', ['/a\0b']));
    expect(nul.message).toMatch(/NUL byte/);
    expect(nul.command).toEqual(['umount', '/a\0b']);
    await rejection(new ForkingCommandRunner().run('umount', ['/a\0b']));
    expect(runner.helperPid).toBeUndefined();
  });

  // Issue 11, attack 5: a CR, U+2028 or U+2029 that mount echoed in its error text made the reply
  // unparseable; the helper was killed and every command queued behind it failed.
  const AWKWARD_BYTES = ['cr\r', 'lf\n', 'ls\u2028', 'ps\u2029', 'bs\\c', 'tab\t', 'del\x7f', 'esc\x1b',
    'latin\u00e9', 'emoji\u{1f510}', '\\0101', 'pct%b%s'];

  it('carries every non-NUL byte in arguments and in stderr without losing step with other commands', async () => {
    const echo = 'printf "%s\\n" "$1" >&2; exit 7';
    const failures = AWKWARD_BYTES.map((name) => rejection(runner.run('sh', ['-c', echo, 'sh', `<${name}>`])));
    const queued = AWKWARD_BYTES.map(() => runner.run('true', []));
    const pid = runner.helperPid;
    await Promise.all(queued);
    const errors = await Promise.all(failures);
    errors.forEach((error, i) => expect(error.stderr).toBe(`<${AWKWARD_BYTES[i]}>`.replace(/\s+/g, ' ').trim()));
    expect(runner.helperPid).toBe(pid); // never killed, never restarted
    for (const name of AWKWARD_BYTES) await runner.run('mkdir', [box.path(name)]);
    expect((await readdir(box.dir)).sort()).toEqual([...AWKWARD_BYTES].sort());
  });

  it.skipIf(!isRoot)(`a failing mount echoing such a path fails alone; the queued mounts still succeed (${ROOT_ONLY})`, async () => {
    const target = box.path('target');
    await mkdir(target);
    const bad = runner.run('mount', ['--bind', box.path('missing\r\u2028\u2029source'), target]);
    const good = [1, 2, 3].map((i) => runner.run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', target]).then(() => i));
    expect((await rejection(bad)).stderr).toMatch(/missing/);
    expect(await Promise.all(good)).toEqual([1, 2, 3]);
  });

  it('passes arguments byte for byte: spaces, quotes, $, backticks, empty strings', async () => {
    const dir = box.path(AWKWARD);
    await runner.run('mkdir', [dir]);
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect(await readdir(box.dir)).toEqual([AWKWARD]);
    await runner.run('test', ['', '=', '']);
    await rejection(runner.run('test', [' x', '=', 'x']));
  });

  it.skipIf(!isRoot)(`mounts at a path with shell metacharacters and edge spaces (${ROOT_ONLY})`, async () => {
    const dir = box.path(AWKWARD);
    await mkdir(dir);
    await runner.run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    expect((await readMountInfo()).some((e) => e.mountPoint === dir && e.fsType === 'tmpfs')).toBe(true);
    await runner.run('umount', [dir]);
    expect(await box.mountsBelow()).toEqual([]);
  });

  it("fails with mount's own stderr, the same text the forking runner reports", async () => {
    await mkdir(box.path('target'));
    const args = ['--bind', box.path('missing source'), box.path('target')];
    const viaHelper = await rejection(runner.run('mount', args));
    const viaFork = await rejection(new ForkingCommandRunner().run('mount', args));
    expect(viaHelper.stderr).toMatch(/missing source/);
    expect(viaHelper.message).toBe(viaFork.message);
    expect(viaHelper.command).toEqual(['mount', ...args]);
  });

  it('flattens multi-line stderr into one line and reports a silent failure by its exit code', async () => {
    const lines = 'printf "one\\n*\\ntwo\\n" >&2; exit 3'; // a line of "*" must not glob in the helper
    expect((await rejection(runner.run('sh', ['-c', lines]))).stderr).toBe('one * two');
    expect((await rejection(runner.run('false', []))).stderr).toBe('exit code 1');
    expect((await rejection(runner.run('/no/such/binary', []))).stderr).toMatch(/not found/);
  });

  it('gives commands an empty stdin, so none can swallow the requests queued behind it', async () => {
    const quick = new ShellHelperRunner({ timeoutMs: 2_000 });
    try {
      const reader = 'if IFS= read -r line; then echo "stdin had: $line" >&2; exit 1; fi';
      await Promise.all([quick.run('sh', ['-c', reader]), quick.run('true', []), quick.run('true', [])]);
    } finally {
      await quick.close();
    }
  });

  it('answers many concurrent requests, each with its own outcome', async () => {
    const script = 'if [ $(($1 % 3)) -eq 0 ]; then echo "failed $1" >&2; exit 1; fi';
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        runner.run('sh', ['-c', script, 'sh', String(i)]).then(
          () => 'ok',
          (e: MountError) => e.stderr,
        ),
      ),
    );
    expect(outcomes).toEqual(Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? `failed ${i}` : 'ok')));
  });

  it('fails the in-flight request when the helper is killed, then serves the next on a new helper', async () => {
    await runner.run('true', []);
    const first = runner.helperPid!;
    const inFlight = runner.run('sleep', ['1']);
    process.kill(first, 'SIGKILL');
    expect((await rejection(inFlight)).message).toMatch(/sleep 1 failed: mount helper exited \(SIGKILL\)/);
    await runner.run('true', []);
    expect(runner.helperPid).toBeDefined();
    expect(runner.helperPid).not.toBe(first);
  });

  it('kills the helper and the hung command on timeout, failing everything queued behind it', async () => {
    const quick = new ShellHelperRunner({ timeoutMs: 300 });
    try {
      await quick.run('true', []);
      const pid = quick.helperPid!;
      const hung = quick.run('sleep', ['30']);
      const queued = quick.run('true', []);
      expect((await rejection(hung)).message).toMatch(/sleep 30 did not finish within 300 ms/);
      expect((await rejection(queued)).message).toMatch(/mount helper killed/);
      await eventually(async () => (await liveProcessesInGroup(pid)).length === 0, 20_000, 'the helper group to die');
      await quick.run('true', []);
      expect(quick.helperPid).not.toBe(pid);
    } finally {
      await quick.close();
    }
  });

  it('keeps the deadline of a hung command while more requests keep arriving', async () => {
    const quick = new ShellHelperRunner({ timeoutMs: 300 });
    const later: Promise<unknown>[] = [];
    try {
      const started = Date.now();
      const hung = quick.run('sleep', ['30']);
      const feeder = setInterval(() => later.push(quick.run('true', []).catch(() => undefined)), 100);
      setTimeout(() => clearInterval(feeder), 1_200);
      await rejection(hung);
      expect(Date.now() - started).toBeLessThan(1_000);
      clearInterval(feeder);
      await Promise.all(later);
    } finally {
      await quick.close();
    }
  });

  it('gives each command its own timeout, not counting time spent queued', async () => {
    const quick = new ShellHelperRunner({ timeoutMs: 1_500 });
    try {
      // Three 0.8 s commands in a row: the last is answered 2.4 s after it was sent, yet none ran for 1.5 s.
      await Promise.all([1, 2, 3].map(() => quick.run('sleep', ['0.8'])));
    } finally {
      await quick.close();
    }
  });

  it('fails cleanly, without crashing, when the helper shell cannot start', async () => {
    const broken = new ShellHelperRunner({ shell: '/no/such/shell' });
    expect((await rejection(broken.run('true', []))).message).toMatch(/true failed: mount helper .*ENOENT/);
    await broken.close();
  });

  it('does not keep the event loop alive while idle, and holds it while a command runs', async () => {
    const before = helperHandles();
    await runner.run('true', []);
    expect(helperHandles()).toBe(before);
    const running = runner.run('sleep', ['0.2']);
    expect(helperHandles()).toBe(before + 4); // the process and its three pipes
    await running;
    expect(helperHandles()).toBe(before);
  });

  it('close() lets sent commands finish, leaves no process behind and refuses later runs', async () => {
    await runner.run('true', []);
    const pid = runner.helperPid!;
    const finishing = runner.run('sleep', ['0.2']);
    await runner.close();
    await expect(finishing).resolves.toBeUndefined();
    expect(await liveProcessesInGroup(pid)).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect((await rejection(runner.run('true', []))).message).toMatch(/closed/);
  });
});
