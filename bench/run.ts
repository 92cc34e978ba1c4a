// `npm run bench [-- --only=approver|driver]`: the floor, then the approver and/or driver figures,
// printed as one table beside their targets and saved as JSON (bench/results.json for a full run).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '@spiffe-csi/crypto';
import { benchApprover } from './approver';
import { benchDriver } from './driver';
import { benchFloor } from './floor';
import { benchNode } from './node';
import { ensureBuilt } from './lib/build';
import { cleanupAll, cleanupOnSignals } from './lib/cleanup';
import { renderTable, verdict, writeResults, type Figure } from './lib/figures';
import { machineInfo } from './lib/proc';
import { enterSandbox } from './lib/sandbox';

const ROOT = resolve(__dirname, '..');
type Part = 'approver' | 'driver' | 'node';

function parseArgs(argv: string[]): { parts: Part[]; algorithm: KeyAlgorithm } {
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined && only !== 'approver' && only !== 'driver' && only !== 'node') throw new Error(`--only: expected approver, driver or node, got "${only}"`);
  const algorithm = (argv.find((a) => a.startsWith('--key-algorithm='))?.slice('--key-algorithm='.length) ?? 'ecdsa-p521') as KeyAlgorithm;
  if (!KEY_ALGORITHMS.includes(algorithm)) throw new Error(`--key-algorithm: one of ${KEY_ALGORITHMS.join(', ')}`);
  return { parts: only ? [only] : ['approver', 'driver', 'node'], algorithm };
}

/** Replaces the table between the README's markers, so the committed README shows the latest run. */
function updateReadme(table: string, header: string): void {
  const path = join(ROOT, 'bench/README.md');
  const begin = '<!-- bench:table:begin -->';
  const end = '<!-- bench:table:end -->';
  const text = readFileSync(path, 'utf8');
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return;
  writeFileSync(path, `${text.slice(0, from + begin.length)}\n${header}\n\n${table}\n${text.slice(to)}`);
}

const describe = (err: unknown): string =>
  err instanceof Error ? (err.stack ?? err.message) : typeof err === 'object' ? JSON.stringify(err) : String(err);

async function main(): Promise<number> {
  const { parts, algorithm } = parseArgs(process.argv.slice(2));
  ensureBuilt(ROOT);
  const started = Date.now();
  const machine = machineInfo();
  cleanupOnSignals();
  enterSandbox();
  const profileDir = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  if (profileDir) {
    // Only the spawned apps inherit it: each writes a .cpuprofile when it exits cleanly (SIGTERM).
    process.env.BENCH_CPU_PROFILE_DIR = resolve(profileDir);
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${join(ROOT, 'bench/lib/cpu-profile.mjs')}`.trim();
  }
  const figures: Figure[] = [];
  const errors: string[] = [];
  const attempt = async (label: string, part: () => Promise<Figure[]>) => {
    const t0 = Date.now();
    try {
      figures.push(...(await part()));
    } catch (err) {
      errors.push(`${label}: ${describe(err)}`);
    }
    console.error(`[bench] ${label} done in ${Math.round((Date.now() - t0) / 1000)} s`);
  };
  try {
    await attempt('floor', () => benchFloor(algorithm));
    if (parts.includes('approver')) await attempt('approver', () => benchApprover(algorithm));
    if (parts.includes('driver')) {
      if (process.getuid?.() !== 0) errors.push('driver: needs root for tmpfs and bind mounts; skipped');
      else await attempt('driver', () => benchDriver(algorithm));
    }
    // The real node last: it brings up its own cluster and tears it down (scripts/test-node.sh).
    if (parts.includes('node')) await attempt('node', async () => benchNode());
  } finally {
    await cleanupAll();
  }

  const order = ['floor', 'driver', 'approver', 'startup'];
  figures.sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
  const table = renderTable(figures);
  const record = {
    date: new Date(started).toISOString(),
    parts,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
    keyAlgorithm: algorithm,
    figures: figures.map((f) => ({ ...f, result: verdict(f) })),
    errors,
    passed: errors.length === 0 && figures.every((f) => verdict(f) !== 'FAIL'),
  };
  const header = `${record.date} · ${machine.cpuCount} × ${machine.cpuModel} · Node ${machine.node} · load average ` +
    `${machine.loadAverage.join(' / ')} at start, ${record.machine.loadAverageAtEnd.join(' / ')} at end · ${record.durationSeconds} s`;
  console.log(`\n${header}\n\n${table}\n`);
  for (const e of errors) console.log(`ERROR ${e}\n`);
  const full = parts.length === 3;
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const out = full ? join(ROOT, 'bench/results.json') : join(ROOT, `.tmp/bench-${parts[0]}.json`);
  writeResults(out, record);
  if (full && errors.length === 0) updateReadme(table, header);
  console.log(`${record.passed ? 'all targets met' : 'some targets missed or errors'}; results in ${out}`);
  return errors.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), async (err) => {
  console.error(err);
  await cleanupAll();
  process.exit(2);
});
