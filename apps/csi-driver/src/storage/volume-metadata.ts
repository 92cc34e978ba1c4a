import { REDACTED } from '@spiffe-csi/config';

/** What the driver remembers about a volume across restarts. Lives on the tmpfs only. */
export interface VolumeMetadata {
  volumeId: string;
  targetPath: string;
  /** Includes the pod's SA token ("csi.storage.k8s.io/serviceAccount.tokens"): never log unredacted. */
  volumeContext: Record<string, string>;
  fsGroup?: number;
  spiffeId?: string;
  /** RFC 3339; absent until the first successful issuance. */
  nextIssuanceTime?: string;
  notAfter?: string;
  lastRequestName?: string;
}

/** Volume-context keys whose values are credentials (the SA token JSON, anything token/secret-like). */
function isSecretKey(key: string): boolean {
  return /token|secret|password|key$/i.test(key);
}

/** A copy safe to log: credential-like volume-context values replaced by "[REDACTED]". */
export function redactMetadata(meta: VolumeMetadata): VolumeMetadata {
  const volumeContext: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta.volumeContext ?? {})) {
    volumeContext[key] = isSecretKey(key) ? REDACTED : value;
  }
  return { ...meta, volumeContext };
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isNonEmptyString: Check = (v) => typeof v === 'string' && v.length > 0;
const isTimestamp: Check = (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isGid: Check = (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4294967295;
const isStringMap: Check = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

const REQUIRED: Record<string, [Check, string]> = {
  volumeId: [isNonEmptyString, 'a non-empty string'],
  targetPath: [isNonEmptyString, 'a non-empty string'],
  volumeContext: [isStringMap, 'an object of strings'],
};
const OPTIONAL: Record<string, [Check, string]> = {
  fsGroup: [isGid, 'an integer in 1..4294967295'],
  spiffeId: [isString, 'a string'],
  nextIssuanceTime: [isTimestamp, 'an RFC 3339 timestamp'],
  notAfter: [isTimestamp, 'an RFC 3339 timestamp'],
  lastRequestName: [isString, 'a string'],
};

/** The reason `value` is not valid VolumeMetadata, or null. Unknown fields are kept, not rejected. */
export function validateVolumeMetadata(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  for (const [field, [check, expected]] of Object.entries(REQUIRED)) {
    if (!check(record[field])) return `${field} must be ${expected}`;
  }
  for (const [field, [check, expected]] of Object.entries(OPTIONAL)) {
    if (record[field] !== undefined && !check(record[field])) return `${field} must be ${expected}`;
  }
  return null;
}

/** Parses metadata.json text; throws an Error naming the problem. */
export function parseVolumeMetadata(text: string, expectedVolumeId?: string): VolumeMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
  const reason = validateVolumeMetadata(value);
  if (reason) throw new Error(reason);
  const meta = value as VolumeMetadata;
  if (expectedVolumeId !== undefined && meta.volumeId !== expectedVolumeId) {
    throw new Error(`volumeId ${JSON.stringify(meta.volumeId)} does not match its directory`);
  }
  return meta;
}
