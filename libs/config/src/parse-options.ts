import { validateSync, ValidationError } from 'class-validator';
import { readArgv } from './argv';
import { ConfigError } from './config-error';
import { App, envVarOf, FlagSpec, flagForProperty, flagsFor } from './flag-table';
import { assignFlagValue, syncDurationTwins } from './flag-values';
import { ApproverOptions, DriverOptions } from './options';

/** Flags from argv, then SPIFFE_CSI_* environment variables, then defaults. Throws ConfigError. */
export function parseApproverOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ApproverOptions {
  return parseOptions('approver', new ApproverOptions(), argv, env);
}

/** As parseApproverOptions, plus the driver's startup rule that some issuer must be configured. */
export function parseDriverOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): DriverOptions {
  const options = parseOptions('csi-driver', new DriverOptions(), argv, env);
  if (options.issuerName === '' && options.runtimeIssuanceConfigMapName === undefined) {
    throw new ConfigError(
      'issuer-name',
      'an issuer is required: set --issuer-name (with --issuer-kind/--issuer-group) or --runtime-issuance-config-map-name',
    );
  }
  return options;
}

export function parseOptionsFor(
  app: App,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ApproverOptions | DriverOptions {
  return app === 'approver' ? parseApproverOptions(argv, env) : parseDriverOptions(argv, env);
}

function parseOptions<T extends object>(
  app: App,
  options: T,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): T {
  const flags = flagsFor(app);
  const fromArgv = readArgv(argv, flags);
  const envSources = new Map<FlagSpec, string>();

  for (const flag of flags) {
    let texts = fromArgv.get(flag);
    const envValue = env[envVarOf(flag)];
    if (texts === undefined && envValue !== undefined) {
      texts = [envValue];
      envSources.set(flag, envVarOf(flag));
    }
    if (texts === undefined) continue;
    try {
      assignFlagValue(options, flag, texts);
    } catch (error) {
      throw new ConfigError(flag.name, withSource((error as Error).message, envSources.get(flag)));
    }
  }
  syncDurationTwins(options, flags);
  throwFirstValidationError(options, flags, envSources);
  return options;
}

function throwFirstValidationError(
  options: object,
  flags: FlagSpec[],
  envSources: Map<FlagSpec, string>,
): void {
  const errors = validateSync(options);
  if (errors.length === 0) return;
  // Report the problem of the earliest flag in table order, so the one line is deterministic.
  const located = errors.map((error) => ({ error, flag: flagForProperty(flags, error.property) }));
  located.sort((a, b) => rank(flags, a.flag) - rank(flags, b.flag));
  const { error, flag } = located[0];
  const reason = firstReason(error);
  throw new ConfigError(
    flag?.name ?? error.property,
    withSource(reason, flag && envSources.get(flag)),
  );
}

function rank(flags: FlagSpec[], flag: FlagSpec | undefined): number {
  return flag ? flags.indexOf(flag) : flags.length;
}

function firstReason(error: ValidationError): string {
  return Object.values(error.constraints ?? {})[0] ?? 'invalid value';
}

function withSource(reason: string, envVar: string | undefined): string {
  return envVar ? `${reason} (from ${envVar})` : reason;
}
