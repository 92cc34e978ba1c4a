import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { parseApproverOptions, parseDriverOptions } from './parse-options';
import { errorOf, REQUIRED_DRIVER_ARGS as DRIVER_ARGS } from './testing/parse';

// The Go original's own-ServiceAccount and auto-approve flags (go-original.md 1.1, 2.1).
const DRIVER_SA = 'system:serviceaccount:cert-manager:cert-manager-csi-driver-spiffe';

describe('--use-own-service-account', () => {
  it('is a bare boolean flag on the driver, off by default', () => {
    expect(parseDriverOptions(DRIVER_ARGS, {}).useOwnServiceAccount).toBe(false);
    expect(
      parseDriverOptions([...DRIVER_ARGS, '--use-own-service-account'], {}).useOwnServiceAccount,
    ).toBe(true);
    expect(
      parseDriverOptions([...DRIVER_ARGS, '--use-own-service-account=true'], {})
        .useOwnServiceAccount,
    ).toBe(true);
  });

  it('needs --driver-service-account on the approver', () => {
    const error = errorOf(() => parseApproverOptions(['--use-own-service-account'], {}));
    expect(error.message).toBe(
      '--driver-service-account: is required when --use-own-service-account is set',
    );
    const options = parseApproverOptions(
      ['--use-own-service-account=true', `--driver-service-account=${DRIVER_SA}`],
      {},
    );
    expect(options.useOwnServiceAccount).toBe(true);
    expect(options.driverServiceAccount).toBe(DRIVER_SA);
  });

  it.each([
    'cert-manager-csi-driver-spiffe',
    'system:serviceaccount:cert-manager',
    'system:node:n1',
    'system:serviceaccount:Bad:x',
  ])('refuses --driver-service-account=%s (not a full ServiceAccount username)', (value) => {
    const error = errorOf(() =>
      parseApproverOptions(['--use-own-service-account', `--driver-service-account=${value}`], {}),
    );
    expect(error.flag).toBe('driver-service-account');
    expect(error.message).toMatch(/must be system:serviceaccount:<namespace>:<name>/);
  });

  it('is not a driver flag for --driver-service-account', () => {
    expect(() =>
      parseDriverOptions([...DRIVER_ARGS, `--driver-service-account=${DRIVER_SA}`], {}),
    ).toThrow(ConfigError);
  });
});

describe('--auto-approve-non-spiffe', () => {
  it('is an approver-only boolean, off by default', () => {
    expect(parseApproverOptions([], {}).autoApproveNonSpiffe).toBe(false);
    expect(parseApproverOptions(['--auto-approve-non-spiffe'], {}).autoApproveNonSpiffe).toBe(true);
    expect(
      parseApproverOptions([], { SPIFFE_CSI_AUTO_APPROVE_NON_SPIFFE: 'true' }).autoApproveNonSpiffe,
    ).toBe(true);
    expect(() => parseDriverOptions([...DRIVER_ARGS, '--auto-approve-non-spiffe'], {})).toThrow(
      ConfigError,
    );
  });
});
