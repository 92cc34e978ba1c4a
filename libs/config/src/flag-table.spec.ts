import { describe, expect, it } from 'vitest';
import { APPS, envVarOf, FLAGS, flagForProperty, flagsFor, propertyOf } from './flag-table';
import { ApproverOptions, DriverOptions } from './options';

const instanceFor = (app: (typeof APPS)[number]) =>
  app === 'approver' ? new ApproverOptions() : new DriverOptions();

describe('flag table', () => {
  it.each(APPS)(
    '%s: every flag fills a property of the options class, and every property has a flag',
    (app) => {
      const flags = flagsFor(app);
      const properties = Object.keys(instanceFor(app));
      for (const flag of flags) expect(properties, flag.name).toContain(propertyOf(flag));
      for (const property of properties)
        expect(flagForProperty(flags, property), property).toBeDefined();
    },
  );

  it('has unique names, short names and variables', () => {
    const unique = (values: unknown[]) => new Set(values).size === values.length;
    expect(unique(FLAGS.map((f) => f.name))).toBe(true);
    expect(unique(FLAGS.filter((f) => f.short).map((f) => f.short))).toBe(true);
    expect(unique(FLAGS.map(envVarOf))).toBe(true);
  });

  it('derives property and variable names from the flag name', () => {
    const flag = FLAGS.find((f) => f.name === 'runtime-issuance-config-map-namespace')!;
    expect(propertyOf(flag)).toBe('runtimeIssuanceConfigMapNamespace');
    expect(envVarOf(flag)).toBe('SPIFFE_CSI_RUNTIME_ISSUANCE_CONFIG_MAP_NAMESPACE');
  });

  it('maps a duration twin back to its flag', () => {
    expect(flagForProperty(FLAGS, 'issuanceTimeoutMs')?.name).toBe('issuance-timeout');
    expect(flagForProperty(FLAGS, 'logLevelMs')).toBeUndefined();
  });
});
