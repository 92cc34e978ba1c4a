import { HelpRequested } from './argv';
import { ConfigError } from './config-error';
import { App } from './flag-table';
import { usage } from './help';
import { ApproverOptions, DriverOptions } from './options';
import { parseOptionsFor } from './parse-options';

/** Where loadOptionsOrExit writes and how it ends the process; replaceable in tests. */
export interface ProcessIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  exit: (code: number) => never;
}

const realProcess: ProcessIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/** Exit status for a bad command line, as Go's flag package uses. */
export const EXIT_USAGE = 2;

/**
 * Parses the app's options for main(): `--help` prints usage and exits 0; a bad value prints one
 * line `error: --flag: reason` to stderr and exits 2. Anything else thrown is a bug and propagates.
 */
export function loadOptionsOrExit<T = ApproverOptions>(
  app: 'approver',
  argv?: readonly string[],
  io?: Partial<ProcessIo>,
): T;
export function loadOptionsOrExit<T = DriverOptions>(
  app: 'csi-driver',
  argv?: readonly string[],
  io?: Partial<ProcessIo>,
): T;
export function loadOptionsOrExit<T = ApproverOptions | DriverOptions>(
  app: App,
  argv?: readonly string[],
  io?: Partial<ProcessIo>,
): T;
export function loadOptionsOrExit<T>(
  app: App,
  argv: readonly string[] = process.argv.slice(2),
  io: Partial<ProcessIo> = {},
): T {
  const { env, stdout, stderr, exit } = { ...realProcess, ...io };
  try {
    return parseOptionsFor(app, argv, env) as T;
  } catch (error) {
    if (error instanceof HelpRequested) {
      stdout(usage(app));
      return exit(0);
    }
    if (error instanceof ConfigError) {
      stderr(`error: ${error.message.replace(/\r?\n/g, ' ')}\n`);
      return exit(EXIT_USAGE);
    }
    throw error;
  }
}
