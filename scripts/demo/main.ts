// `npm run demo`: the whole product on loopback, with this process acting as kubelet.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { IS_ROOT, ISSUER, TRUST_DOMAIN, startControlPlane, startStack, type ControlPlane } from '../../test/e2e/stack';
import { hostileRequest, legitimateRequest, writeIssuerCa } from './approver-steps';
import { buildReason, runBuild } from './build';
import { Cleanup, onFirstSignal } from './cleanup';
import { bold, green, mute, red, rows, say, seconds, section } from './output';
import { publishExampleApp, renewal, writableVolumeRejected } from './pod-steps';

const ROOT = resolve(__dirname, '../..');
const RENEWAL_CERT_LIFETIME_MS = 6_000;
const args = new Set(process.argv.slice(2));
const started = Date.now();
const logFile = join(tmpdir(), `spiffe-csi-demo-${process.pid}.log`);
const cleanup = new Cleanup();
let workDir: string | undefined;

function printStarted(plane: ControlPlane, extra: [string, string][] = []): void {
  workDir = plane.workDir;
  rows([
    ['Kubernetes API', `${plane.sim.url} (simulator)`],
    ['CA issuer', `${ISSUER.kind} ${ISSUER.name} (simulated cert-manager CA issuer)`],
    ['approver', `pid ${plane.approver?.child.pid}, trust domain ${TRUST_DOMAIN}`],
    ...extra,
    ['work dir', plane.workDir],
  ]);
  say(`all up in ${seconds(Date.now() - startingAt)}`);
}

let startingAt = Date.now();

async function withDriver(): Promise<void> {
  const stack = await cleanup.track(startStack({ logFile }));
  printStarted(stack, [
    ['csi-driver', `pid ${stack.driver.child.pid}, node node-a`],
    ['CSI socket', stack.socketPath],
    ['data root', `${stack.dataRoot} (tmpfs)`],
  ]);
  const caFile = writeIssuerCa(stack);
  const volume = await publishExampleApp(stack, caFile);
  await renewal(stack, RENEWAL_CERT_LIFETIME_MS);
  if ((await hostileRequest(stack)) !== 'Denied') throw new Error('the hostile request was not denied');
  await writableVolumeRejected(stack);
  await stack.unpublish(volume);
}

async function approverOnly(): Promise<void> {
  say(IS_ROOT
    ? 'Running without the driver (--approver-only).'
    : 'Not running as root: the driver needs root for its tmpfs data root and the read-only bind mounts,');
  if (!IS_ROOT) say('so it cannot run here. Showing the approver and issuer part; run `sudo npm run demo` for all of it.');
  const plane = await cleanup.track(startControlPlane({ logFile }));
  printStarted(plane);
  await legitimateRequest(plane, writeIssuerCa(plane));
  if ((await hostileRequest(plane)) !== 'Denied') throw new Error('the hostile request was not denied');
}

/** Stops everything; the line saying whether anything was left behind. */
async function tearDown(): Promise<string> {
  await cleanup.run();
  if (!workDir) return '  left behind: nothing';
  const dir = workDir;
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));
  return mounts.length || existsSync(dir)
    ? red(`  left behind: ${mounts.length} mounts under ${dir}${existsSync(dir) ? ', which still exists' : ''}`)
    : '  left behind: nothing (processes stopped, mounts removed, temp dir deleted)';
}

async function main(): Promise<void> {
  console.log(bold('csi-driver-spiffe demo: a SPIFFE identity for a Pod, issued through cert-manager, on loopback'));
  const reason = args.has('--no-build') ? undefined : buildReason(ROOT);
  if (reason) {
    section('Building the apps (npm run build)');
    say(`${reason}; this takes a minute or two, once.`);
    const buildLog = join(tmpdir(), `spiffe-csi-demo-${process.pid}-build.log`);
    const failed = await runBuild(ROOT, buildLog).then(() => false, () => true);
    if (failed && buildReason(ROOT)?.endsWith('missing')) throw new Error(`npm run build failed; see ${buildLog}`);
    // A broken working copy should not hide the demo: the previous build still shows the product.
    if (failed) say(red(`the build failed (see ${buildLog}); running the previous build instead`));
    else rmSync(buildLog, { force: true });
  }
  section('Starting on loopback');
  startingAt = Date.now();
  if (IS_ROOT && !args.has('--approver-only')) await withDriver();
  else await approverOnly();
  section('Cleaning up');
  console.log(await tearDown());
  rmSync(logFile, { force: true });
  console.log(`\n${green('Demo finished')} in ${seconds(Date.now() - started)}.`);
  process.exit(0);
}

let interrupted = false;
onFirstSignal((signal) => {
  interrupted = true;
  mute();
  console.log(`\n${signal}: stopping the apps and removing mounts and temp files…`);
  void tearDown().then((report) => {
    console.log(report);
    rmSync(logFile, { force: true });
    process.exit(130);
  });
});

main().catch(async (err: unknown) => {
  if (interrupted) return; // the signal handler owns the shutdown
  mute();
  console.log(`\n${red('The demo failed:')} ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  console.log(await tearDown());
  if (existsSync(logFile)) console.log(`  app logs: ${logFile}`);
  process.exit(1);
});
