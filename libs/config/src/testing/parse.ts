import { expect } from 'vitest';
import { ConfigError } from '../config-error';
import { parseApproverOptions, parseDriverOptions } from '../parse-options';

/** The flags the driver cannot start without; `driver` adds them to every parse. */
export const REQUIRED_DRIVER_ARGS = ['--node-id=node-1', '--endpoint=unix:///csi/csi.sock'];
export const driver = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  parseDriverOptions([...REQUIRED_DRIVER_ARGS, ...args], env);
export const approver = (args: string[], env: NodeJS.ProcessEnv = {}) => parseApproverOptions(args, env);
export type Parse = typeof driver | typeof approver;

/** The ConfigError `run` throws; fails the test if it throws nothing or something else. */
export function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
