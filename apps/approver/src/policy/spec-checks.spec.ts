import { describe, expect, it } from 'vitest';
import type { PolicyOptions } from './policy-types';
import { checkDuration, checkIsCa, checkUsages, REQUIRED_USAGES } from './spec-checks';

const options: PolicyOptions = {
  trustDomain: 'cluster.local',
  durationMs: 3_600_000,
  keyAlgorithm: 'ecdsa-p521',
};
const reasons = (failures: { reason: string }[]) => failures.map((f) => f.reason);

describe('checkDuration', () => {
  it.each(['1h', '60m', '3600s', '0.5h30m', '3600000ms'])('accepts %s as 1h', (d) => {
    expect(checkDuration(d, options)).toEqual([]);
  });

  it.each([
    [undefined, 'spec.duration is missing (must be 1h0m0s)'],
    ['', 'spec.duration is missing (must be 1h0m0s)'],
    ['2h', 'spec.duration must be 1h0m0s, got "2h"'],
    ['59m59s', 'spec.duration must be 1h0m0s, got "59m59s"'],
    ['1 hour', 'spec.duration "1 hour" is not a valid duration'],
    [3600, 'spec.duration "3600" is not a valid duration'],
    ['9'.repeat(5000), `spec.duration "${'9'.repeat(64)}…" is not a valid duration`],
  ])('denies %j', (d, reason) => {
    expect(reasons(checkDuration(d, options))).toEqual([reason]);
  });
});

describe('checkIsCa', () => {
  it('accepts false or absent, denies anything else', () => {
    expect(checkIsCa(false)).toEqual([]);
    expect(checkIsCa(undefined)).toEqual([]);
    expect(reasons(checkIsCa(true))).toEqual(['spec.isCA must be false']);
    expect(reasons(checkIsCa('false'))).toEqual(['spec.isCA must be false']);
  });
});

describe('checkUsages', () => {
  const prefix = `spec.usages must be exactly [${REQUIRED_USAGES.join(', ')}]: `;

  it('accepts the four usages in any order', () => {
    expect(
      checkUsages(['server auth', 'client auth', 'key encipherment', 'digital signature']),
    ).toEqual([]);
  });

  it.each([
    [['digital signature', 'key encipherment', 'client auth'], 'missing "server auth"'],
    [[...REQUIRED_USAGES, 'cert sign'], 'unexpected "cert sign"'],
    [[...REQUIRED_USAGES, 'client auth'], 'duplicated "client auth"'],
    [undefined, 'not a list'],
    ['server auth', 'not a list'],
    [[], 'missing "digital signature", "key encipherment", "client auth", "server auth"'],
    [
      ['digital signature', 'key encipherment', 'client auth', 42],
      'missing "server auth" and unexpected "42"',
    ],
  ])('denies %j', (usages, detail) => {
    expect(reasons(checkUsages(usages))).toEqual([prefix + detail]);
  });
});
