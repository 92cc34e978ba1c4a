import { describe, expect, it } from 'vitest';
import { APPS, envVarOf, flagsFor, FLAGS } from './flag-table';
import { usage } from './help';

describe('usage', () => {
  it.each(APPS)('%s: one line per flag with its default, description and variable', (app) => {
    const lines = usage(app).split('\n');
    for (const flag of flagsFor(app)) {
      const line = lines.find((l) => l.includes(`--${flag.name} `) || l.endsWith(`--${flag.name}`));
      expect(line, flag.name).toBeDefined();
      expect(line).toContain(flag.description);
      expect(line).toMatch(/\(default [^)]*\)/);
      expect(line).toContain(`[$${envVarOf(flag)}]`);
    }
    expect(lines.some((l) => l.includes('-h, --help'))).toBe(true);
  });

  it('shows the defaults in the syntax the flags accept', () => {
    const text = usage('csi-driver');
    expect(text).toMatch(/--trust-domain string .*\(default "cluster\.local"\)/);
    expect(text).toMatch(/--certificate-request-duration duration .*\(default 1h\)/);
    expect(text).toMatch(/-v, --log-level int .*\(default 1\)/);
    expect(text).toMatch(/--issuance-timeout duration .*\(default 60s\)/);
    expect(text).toMatch(/--metrics-bind-address address .*\(default ":9402"\)/);
    expect(text).toMatch(/--file-name-ca string .*\(default "ca\.crt"\)/);
    expect(usage('approver')).toMatch(/--leader-elect .*\(default true\)/);
  });

  it("lists only the app's own flags", () => {
    expect(usage('approver')).not.toContain('--node-id');
    expect(usage('csi-driver')).not.toContain('--leader-elect');
  });

  it('has a description for every flag in the table', () => {
    for (const flag of FLAGS) expect(flag.description.length, flag.name).toBeGreaterThan(10);
  });
});
