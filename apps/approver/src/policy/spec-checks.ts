import { formatGoDuration, parseGoDuration } from '@spiffe-csi/config';
import { quote } from './describe';
import type { PolicyFailure, PolicyOptions } from './policy-types';

/** The usages the driver requests; cert-manager spells them this way in spec.usages. */
export const REQUIRED_USAGES = [
  'digital signature',
  'key encipherment',
  'client auth',
  'server auth',
] as const;

const MAX_DURATION_TEXT = 256;

/** spec.duration must be present and equal the configured duration as a duration (60m == 1h). */
export function checkDuration(duration: unknown, options: PolicyOptions): PolicyFailure[] {
  const expected = formatGoDuration(options.durationMs);
  const fail = (reason: string): PolicyFailure[] => [{ rule: 'duration', reason }];
  if (duration === undefined || duration === null || duration === '') {
    return fail(`spec.duration is missing (must be ${expected})`);
  }
  if (typeof duration !== 'string' || duration.length > MAX_DURATION_TEXT) {
    return fail(`spec.duration ${quote(duration)} is not a valid duration`);
  }
  let actualMs: number;
  try {
    actualMs = parseGoDuration(duration);
  } catch {
    return fail(`spec.duration ${quote(duration)} is not a valid duration`);
  }
  // Compare in whole nanoseconds so float noise cannot make 60m differ from 1h.
  if (Math.round(actualMs * 1e6) !== Math.round(options.durationMs * 1e6)) {
    return fail(`spec.duration must be ${expected}, got ${quote(duration)}`);
  }
  return [];
}

export function checkIsCa(isCA: unknown): PolicyFailure[] {
  if (isCA === undefined || isCA === null || isCA === false) return [];
  return [{ rule: 'is-ca', reason: 'spec.isCA must be false' }];
}

/** Exactly the four required usages, in any order, each once, nothing else. */
export function checkUsages(usages: unknown): PolicyFailure[] {
  const list = Array.isArray(usages) ? usages : [];
  const seen = new Set<unknown>();
  const problems: string[] = [];
  const duplicated = new Set<string>();
  const unexpected: string[] = [];
  for (const usage of list) {
    if (seen.has(usage)) duplicated.add(quote(usage));
    else if (!(REQUIRED_USAGES as readonly unknown[]).includes(usage))
      unexpected.push(quote(usage));
    seen.add(usage);
  }
  const missing = REQUIRED_USAGES.filter((u) => !seen.has(u)).map((u) => quote(u));
  if (!Array.isArray(usages)) problems.push('not a list');
  else {
    if (missing.length) problems.push(`missing ${missing.join(', ')}`);
    if (unexpected.length) problems.push(`unexpected ${unexpected.slice(0, 5).join(', ')}`);
    if (duplicated.size) problems.push(`duplicated ${[...duplicated].slice(0, 5).join(', ')}`);
  }
  if (problems.length === 0) return [];
  return [
    {
      rule: 'usages',
      reason: `spec.usages must be exactly [${REQUIRED_USAGES.join(', ')}]: ${problems.join(' and ')}`,
    },
  ];
}
