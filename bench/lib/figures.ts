// The figures a run produces, judged against their targets, printed as one table and saved as JSON.
import { writeFileSync } from 'node:fs';
import { machineInfo } from './proc';

export interface Target {
  op: '<=' | '<' | '>=';
  value: number;
}

export interface Figure {
  section: 'floor' | 'driver' | 'approver' | 'startup';
  name: string;
  value: number;
  unit: string;
  target?: Target;
  /** What else the reader needs to interpret the value (sample size, spread). */
  note?: string;
}

export type Verdict = 'pass' | 'FAIL' | 'info';

export function verdict(f: Figure): Verdict {
  if (!f.target) return 'info';
  if (!Number.isFinite(f.value)) return 'FAIL';
  const { op, value } = f.target;
  const ok = op === '<=' ? f.value <= value : op === '<' ? f.value < value : f.value >= value;
  return ok ? 'pass' : 'FAIL';
}

const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(n % 1 === 0 ? 0 : 1)) : 'n/a');

/** A Markdown table, so the same text goes to the terminal and into bench/README.md. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.section,
    f.name,
    `${fmt(f.value)} ${f.unit}`,
    f.target ? `${f.target.op} ${fmt(f.target.value)} ${f.unit}` : '—',
    verdict(f),
    f.note ?? '',
  ]);
  const header = ['part', 'figure', 'value', 'target', 'result', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export interface RunRecord {
  date: string;
  parts: string[];
  durationSeconds: number;
  machine: ReturnType<typeof machineInfo> & { loadAverageAtEnd: number[] };
  keyAlgorithm: string;
  figures: (Figure & { result: Verdict })[];
  errors: string[];
  passed: boolean;
}

export function writeResults(path: string, record: RunRecord): void {
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}
