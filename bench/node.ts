// The figure users feel, from a real node: `npm run test:node` restricted to the install, the
// startup figure and the uninstall (scripts/test-node.sh -t ...), then its .tmp/node-startup-figure.json
// as rows. Where the tier cannot run (not root, no apt, no build), one info row says why.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Figure } from './lib/figures';

const ROOT = resolve(__dirname, '..');
const FIGURE = join(ROOT, '.tmp/node-startup-figure.json');
const NAME = 'real node: Pod created → container started, added by our volume, p50';

interface Quantiles { withVolume: number; without: number; added: number }
interface Saved {
  p50: Quantiles; p95: Quantiles; withVolume: number[]; started: { p50: Quantiles; p95: Quantiles }; published: { p50: number };
  /** Medians of the driver's publish phases (absent in figures saved before they were measured). */
  breakdown?: { phases: Record<string, number>; firstTick?: { made: number; of: number } };
}

export function benchNode(): Figure[] {
  if (process.getuid?.() !== 0) return [{ section: 'startup', name: NAME, value: NaN, unit: 'ms', note: 'needs root (kubelet, containerd): not measured' }];
  const started = Date.now();
  const run = spawnSync(join(ROOT, 'scripts/test-node.sh'), ['-t', '1\\. helm install|the figure users feel|9\\. helm uninstall'],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 40 * 60_000 });
  const fresh = existsSync(FIGURE) && statSync(FIGURE).mtimeMs >= started;
  const summary = /\d+ passed, \d+ failed, \d+ skipped/.exec(run.stdout)?.[0] ?? `exit ${run.status}`;
  if (!fresh) {
    const why = /test:node skipped: (.*)/.exec(`${run.stdout}\n${run.stderr}`)?.[1] ?? `test:node did not measure (${summary})`;
    return [{ section: 'startup', name: NAME, value: NaN, unit: 'ms', note: why }];
  }
  const f = JSON.parse(readFileSync(FIGURE, 'utf8')) as Saved;
  const n = f.withVolume.length;
  const r = (x: number) => Math.round(x);
  const phases = Object.entries(f.breakdown?.phases ?? {}).filter(([, v]) => Number.isFinite(v)).map(([k, v]) => `${k} ${r(v)}`);
  const tick = f.breakdown?.firstTick;
  const where = (tick ? `; ${tick.made}/${tick.of} made kubelet's first 300 ms volume tick` : '') +
    (phases.length ? `; driver phases p50 (ms): ${phases.join(', ')}` : '');
  return [
    { section: 'startup', name: NAME, value: r(f.started.p50.added), unit: 'ms', target: { op: '<=', value: 100 },
      note: `${n}+${n} Pods interleaved: with ${r(f.started.p50.withVolume)} ms, without ${r(f.started.p50.without)} ms; p95 added ${r(f.started.p95.added)} ms (CRI started_at); the driver published at p50 ${r(f.published.p50)} ms after creation${where}` },
    { section: 'startup', name: 'real node: Pod created → Running seen, added by our volume, p50', value: r(f.p50.added), unit: 'ms',
      note: `with ${r(f.p50.withVolume)} ms, without ${r(f.p50.without)} ms; p95 added ${r(f.p95.added)} ms; kubelet reports Running on its 1 s PLEG relist` },
  ];
}
