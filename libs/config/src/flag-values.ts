import { parseStringMap } from './annotations';
import { parseGoDuration } from './duration';
import { FlagSpec, FlagType, propertyOf } from './flag-table';

// Text → typed value for each flag type. Converters check syntax only (throwing Error with the
// reason); what a value may mean is checked by the options classes' validators.
const CONVERTERS: Record<FlagType, (texts: string[]) => unknown> = {
  string: (texts) => last(texts),
  'optional-string': (texts) => (last(texts) === '' ? undefined : last(texts)),
  int: (texts) => parseInteger(last(texts)),
  bool: (texts) => parseGoBool(last(texts)),
  duration: (texts) => {
    parseGoDuration(last(texts)); // syntax check; the Ms twin is filled by syncDurationTwins
    return last(texts);
  },
  'string-map': (texts) => mergeMaps(texts.map(parseStringMap)),
  'address-or-off': (texts) => (last(texts) === '0' ? null : last(texts)),
};

/**
 * Stores the flag's value (every occurrence, in order; the last wins except for maps, which merge)
 * on `target`. Throws Error with the reason when the text does not parse.
 */
export function assignFlagValue(target: object, flag: FlagSpec, texts: string[]): void {
  const normalised = flag.lowercase ? texts.map((text) => text.toLowerCase()) : texts;
  (target as Record<string, unknown>)[propertyOf(flag)] = CONVERTERS[flag.type](normalised);
}

/** Sets `<property>Ms` from the Go duration string of every duration flag, defaults included. */
export function syncDurationTwins(target: object, flags: readonly FlagSpec[]): void {
  const record = target as Record<string, unknown>;
  for (const flag of flags.filter((f) => f.type === 'duration')) {
    record[`${propertyOf(flag)}Ms`] = parseGoDuration(String(record[propertyOf(flag)]));
  }
}

/** How a current value reads in --help, in the syntax the flag accepts. */
export function formatFlagValue(flag: FlagSpec, value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return '0';
  if (flag.type === 'string-map') {
    return Object.entries(value as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  return String(value);
}

/** Go strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. */
export function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new Error(`"${text}" is not a boolean (use true or false)`);
}

function parseInteger(text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new Error(`"${text}" is not an integer`);
  return Number(text);
}

function mergeMaps(maps: Record<string, string>[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of maps.flatMap((map) => Object.entries(map))) {
    if (Object.hasOwn(merged, key)) throw new Error(`key "${key}" is given more than once`);
    merged[key] = value;
  }
  return merged;
}

function last(texts: string[]): string {
  return texts[texts.length - 1];
}
