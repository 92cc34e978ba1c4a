// Go `time.ParseDuration` / `Duration.String()` semantics, so operators can reuse the values they
// already pass to the Go binaries (`1h`, `90s`, `1h30m`, `1.5h`, `500ms`).

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = 2n ** 63n - 1n; // Go durations are int64 nanoseconds
const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/** Parses a Go duration string and returns milliseconds (fractional below 1 ms). Throws on bad input. */
export function parseGoDuration(input: string): number {
  const invalid = (why: string) => new Error(`invalid duration "${input}": ${why}`);
  let rest = input;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid('empty');

  let totalNs = 0n;
  while (rest !== '') {
    const match = COMPONENT.exec(rest);
    if (!match) throw invalid('expected a number followed by a unit (ns, us, µs, ms, s, m, h)');
    const [whole, intDigits, fracDigits = '', unit] = match;
    if (intDigits === '' && fracDigits === '') throw invalid('missing number before unit');
    const unitNs = NS_PER_UNIT[unit];
    if (unitNs === undefined) throw invalid(`unknown unit "${unit}"`);
    totalNs += BigInt(intDigits || '0') * unitNs + fractionToNs(fracDigits, unitNs);
    if (totalNs > MAX_NS) throw invalid('out of range');
    rest = rest.slice(whole.length);
  }
  const ms = Number(totalNs) / 1e6;
  return negative ? -ms : ms;
}

function fractionToNs(digits: string, unitNs: bigint): bigint {
  if (digits === '') return 0n;
  // Truncates below 1 ns like Go does.
  return (BigInt(digits) * unitNs) / 10n ** BigInt(digits.length);
}

/** Formats milliseconds the way Go prints a Duration: `1h0m0s`, `1m30s`, `1.5s`, `500ms`, `0s`. */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`cannot format ${ms} as a duration`);
  const signedNs = BigInt(Math.round(ms * 1e6));
  if (signedNs === 0n) return '0s';
  const sign = signedNs < 0n ? '-' : '';
  const ns = signedNs < 0n ? -signedNs : signedNs;

  if (ns < NS_PER_UNIT.us) return `${sign}${ns}ns`;
  if (ns < NS_PER_UNIT.ms) return `${sign}${decimal(ns, NS_PER_UNIT.us)}µs`;
  if (ns < NS_PER_UNIT.s) return `${sign}${decimal(ns, NS_PER_UNIT.ms)}ms`;

  const hours = ns / NS_PER_UNIT.h;
  const minutes = (ns % NS_PER_UNIT.h) / NS_PER_UNIT.m;
  const seconds = decimal(ns % NS_PER_UNIT.m, NS_PER_UNIT.s);
  const h = hours > 0n ? `${hours}h` : '';
  const m = hours > 0n || minutes > 0n ? `${minutes}m` : '';
  return `${sign}${h}${m}${seconds}s`;
}

function decimal(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const fraction = value % unit;
  if (fraction === 0n) return `${whole}`;
  const width = unit.toString().length - 1;
  return `${whole}.${fraction.toString().padStart(width, '0').replace(/0+$/, '')}`;
}
