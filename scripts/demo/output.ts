// Plain, readable terminal output: short headed sections and aligned "key: value" lines.
const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = paint('1');
export const green = paint('32');
export const red = paint('31');
export const dim = paint('2');

let muted = false;
/** After Ctrl-C the interrupted steps may still print; only the shutdown report should show. */
export function mute(): void {
  muted = true;
}
const print = (line = '') => {
  if (!muted) console.log(line);
};

export function section(title: string): void {
  print(`\n${bold(`== ${title}`)}`);
}

export function say(text: string): void {
  print(text ? `  ${text}` : '');
}

/** Key/value pairs with the values lined up; undefined values are skipped. */
export function rows(pairs: [string, string | undefined][]): void {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  for (const [key, value] of shown) print(`  ${`${key}:`.padEnd(width + 1)} ${value}`);
}

/** A small fixed-width table (e.g. the file list), columns separated by two spaces. */
export function table(lines: string[][]): void {
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => l[i]?.length ?? 0))) ?? [];
  for (const line of lines) print(`  ${line.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()}`);
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
