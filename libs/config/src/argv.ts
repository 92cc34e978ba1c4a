import { ConfigError } from './config-error';
import { FlagSpec } from './flag-table';

/** Thrown when argv asks for `--help` / `-h`; loadOptionsOrExit turns it into usage + exit 0. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

/**
 * Reads argv with Go pflag's syntax: `--flag=value`, `--flag value`, bare `--bool` for true,
 * `--bool=false`, `-v=3`, `-v 3`, `-v3`, and `--` ending the flags. Returns every occurrence of
 * each flag in order. Positional arguments are refused (neither app takes any).
 */
export function readArgv(
  argv: readonly string[],
  flags: readonly FlagSpec[],
): Map<FlagSpec, string[]> {
  const given = new Map<FlagSpec, string[]>();
  let previous: FlagSpec | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      if (i + 1 < argv.length) throw unexpectedArgument(argv[i + 1], undefined);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') throw unexpectedArgument(arg, previous);

    const { flag, inline } = identify(arg, flags);
    let text: string;
    if (inline !== undefined) text = inline;
    else if (flag.type === 'bool') text = 'true';
    else if (i + 1 < argv.length) text = argv[++i];
    else throw new ConfigError(flag.name, 'flag needs an argument');

    given.set(flag, [...(given.get(flag) ?? []), text]);
    previous = flag;
  }
  return given;
}

function identify(arg: string, flags: readonly FlagSpec[]): { flag: FlagSpec; inline?: string } {
  if (arg.startsWith('--')) {
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'help') throw new HelpRequested();
    const flag = flags.find((f) => f.name === name);
    if (!flag)
      throw new ConfigError(
        name === '' ? '' : `--${name}`,
        `unknown flag${name === '' ? ` "${arg}"` : ''}`,
      );
    return { flag, inline: eq < 0 ? undefined : body.slice(eq + 1) };
  }
  const short = arg[1];
  const rest = arg.slice(2);
  if (short === 'h') throw new HelpRequested();
  const flag = flags.find((f) => f.short === short);
  if (!flag) {
    const hint = rest === '' ? '' : ` (in "${arg}"; long flags take two dashes)`;
    throw new ConfigError(`-${short}`, `unknown shorthand flag${hint}`);
  }
  const inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
  return { flag, inline };
}

function unexpectedArgument(arg: string, previous: FlagSpec | undefined): ConfigError {
  if (previous?.type === 'bool') {
    return new ConfigError(
      previous.name,
      `unexpected argument "${arg}" (a boolean flag takes its value as --${previous.name}=${arg})`,
    );
  }
  return new ConfigError('', `unexpected argument "${arg}": flags start with "--"`);
}
