import { App, envVarOf, FlagSpec, FlagType, flagsFor, propertyOf } from './flag-table';
import { formatFlagValue } from './flag-values';
import { ApproverOptions, DriverOptions } from './options';

const TYPE_LABEL: Record<FlagType, string> = {
  string: 'string',
  'optional-string': 'string',
  int: 'int',
  bool: '',
  duration: 'duration',
  'string-map': 'k=v,...',
  'address-or-off': 'address',
};
const QUOTED: ReadonlySet<FlagType> = new Set<FlagType>([
  'string',
  'optional-string',
  'string-map',
  'address-or-off',
]);

/** Usage text: every flag of `app`, its default (read from the options class) and its env variable. */
export function usage(app: App): string {
  const defaults = (app === 'approver'
    ? new ApproverOptions()
    : new DriverOptions()) as unknown as Record<string, unknown>;
  const rows = flagsFor(app).map((flag) => [
    synopsis(flag),
    describe(flag, defaults[propertyOf(flag)]),
  ]);
  rows.push(['-h, --help', 'show this help and exit']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 3;
  return [
    `Usage: ${app} [flags]`,
    '',
    'Every flag can also be set through the environment variable shown in brackets; a flag wins over',
    'its variable. Durations use Go syntax (90s, 1h30m).',
    '',
    'Flags:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    '',
  ].join('\n');
}

function synopsis(flag: FlagSpec): string {
  const names = flag.short ? `-${flag.short}, --${flag.name}` : `    --${flag.name}`;
  const label = TYPE_LABEL[flag.type];
  return label ? `${names} ${label}` : names;
}

function describe(flag: FlagSpec, defaultValue: unknown): string {
  const text = formatFlagValue(flag, defaultValue);
  const shown = QUOTED.has(flag.type) ? JSON.stringify(text) : text;
  return `${flag.description} (default ${shown}) [$${envVarOf(flag)}]`;
}
