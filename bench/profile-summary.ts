// `node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]`: where a V8 CPU profile's
// time went, as self time per function and per package, for reading a missed target.
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

function packageOf(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url;
  if (url === '') return '(native / idle / gc)';
  return url.includes('/dist/apps/') ? 'app bundle' : url;
}

function main(): void {
  const args = process.argv.slice(2);
  const lastMs = Number(args.find((a) => a.startsWith('--last='))?.slice('--last='.length) ?? Infinity);
  const [file, topArg] = args.filter((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top] [--last=<ms before the end>]');
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  // Sample times are cumulative deltas from startTime (µs); --last keeps only the profile's tail.
  let at = profile.startTime;
  const from = profile.endTime - lastMs * 1000;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from) selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const fnTotals = new Map<string, number>();
  const pkgTotals = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const pkg = packageOf(url);
    const fn = `${functionName || '(anonymous)'}  ${pkg === 'app bundle' ? `main.js:${lineNumber + 1}` : pkg}`;
    fnTotals.set(fn, (fnTotals.get(fn) ?? 0) + ms);
    pkgTotals.set(pkg, (pkgTotals.get(pkg) ?? 0) + ms);
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${ms.toFixed(0).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
    }
  };
  console.log(`profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s wall, ${(total / 1000).toFixed(1)} s sampled`);
  print('self time by package', pkgTotals);
  print('self time by function', fnTotals);
}

main();
