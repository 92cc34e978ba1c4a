// Reasons an option value is invalid, one function per rule; the options classes attach them.
import { isAbsolute, posix } from 'node:path';
import { annotationsProblem } from './annotations';
import { KEY_ALGORITHMS } from '@spiffe-csi/crypto';
import { parseServiceAccountUsername } from '@spiffe-csi/spiffe';
import { dns1123LabelProblem, dns1123SubdomainProblem, fileNameProblem } from './name-checks';
import { bindAddressProblem } from './network-checks';

type Options = Record<string, unknown>;

export const LOG_LEVEL_MAX = 10;
// client-go's leader election adds up to 20% jitter to the retry period.
const LEADER_ELECTION_JITTER = 1.2;

export const required =
  (check: (value: string) => string | null) =>
  (value: unknown): string | null =>
    typeof value !== 'string' || value === '' ? 'is required' : check(value);

export const nonEmpty = required(() => null);

export const filePath = required((value) => (value.includes('\0') ? 'must not contain NUL' : null));

export const isBoolean = (value: unknown): string | null =>
  typeof value === 'boolean' ? null : 'must be true or false';

/** Required by --use-own-service-account: the approver compares it with spec.username verbatim. */
export function driverServiceAccountProblem(value: unknown, options: Options): string | null {
  if (value === undefined) {
    return options.useOwnServiceAccount === true
      ? 'is required when --use-own-service-account is set'
      : null;
  }
  return typeof value === 'string' && parseServiceAccountUsername(value)
    ? null
    : 'must be system:serviceaccount:<namespace>:<name>';
}

export const positiveDuration = (ms: unknown): string | null =>
  typeof ms === 'number' && Number.isFinite(ms) && ms > 0
    ? null
    : 'must be a duration greater than 0';

export const logLevelProblem = (value: unknown): string | null =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= LOG_LEVEL_MAX
    ? null
    : `must be an integer from 0 to ${LOG_LEVEL_MAX}`;

export const keyAlgorithmProblem = (value: unknown): string | null =>
  KEY_ALGORITHMS.includes(value as never) ? null : `must be one of ${KEY_ALGORITHMS.join(', ')}`;

/** '' is allowed: the issuer may come only from the runtime ConfigMap. */
export const issuerNameProblem = (value: unknown): string | null =>
  value === '' ? null : required(dns1123SubdomainProblem)(value);

export const bindAddress = required(bindAddressProblem);
export const dnsSubdomain = required(dns1123SubdomainProblem);
export const dnsLabel = required(dns1123LabelProblem);
export const fileName = required(fileNameProblem);

export const absolutePath = required((value) =>
  isAbsolute(value) && !value.includes('\0') ? null : 'must be an absolute path',
);

/** Compared segment by segment with kubelet's paths, so it must be spelt the one canonical way. */
export const canonicalDirectory = required((value) =>
  !isAbsolute(value) || value.includes('\0')
    ? 'must be an absolute path'
    : value === '/' || posix.normalize(value) !== value || value.endsWith('/')
      ? 'must be a normalised directory other than / (no trailing slash, "." or ".." segments)'
      : null,
);

export function configMapNamespaceProblem(value: unknown, options: Options): string | null {
  if (value === undefined) {
    return options.runtimeIssuanceConfigMapName === undefined
      ? null
      : 'is required when --runtime-issuance-config-map-name is set';
  }
  return dnsLabel(value);
}

/** Each file name must differ from those of the flags listed before it. */
export const distinctFileName =
  (...earlier: { property: string; flag: string }[]) =>
  (value: unknown, options: Options): string | null => {
    const clash = earlier.find((other) => options[other.property] === value);
    return (
      fileName(value) ?? (clash ? `must differ from --${clash.flag} ("${String(value)}")` : null)
    );
  };

/** Every file the driver writes in a volume, in flag order: each name must differ from the earlier ones. */
const VOLUME_FILES = [
  { property: 'fileNameCertificate', flag: 'file-name-certificate' },
  { property: 'fileNameKey', flag: 'file-name-key' },
  { property: 'fileNameCa', flag: 'file-name-ca' },
  { property: 'fileNameCredentials', flag: 'file-name-credentials' },
  { property: 'fileNameBundle', flag: 'file-name-bundle' },
];

/** The files after the first three, which may be turned off: empty disables; else a name no earlier file uses. */
export const optionalFileName =
  (property: string) =>
  (value: unknown, options: Options): string | null => {
    if (value === '') return null;
    const earlier = VOLUME_FILES.slice(0, VOLUME_FILES.findIndex((f) => f.property === property));
    return distinctFileName(...earlier.filter((f) => options[f.property] !== ''))(value, options);
  };

/** Bytes left for the socket's name: a unix socket path holds 108 bytes, a short dir comes first. */
const MAX_SOCKET_NAME_BYTES = 64;

/** The Workload API socket's name in each volume: empty disables it; else a name no file uses. */
export function optionalSocketName(value: unknown, options: Options): string | null {
  if (value === '') return null;
  const problem = distinctFileName(...VOLUME_FILES.filter((f) => options[f.property] !== ''))(value, options);
  if (problem) return problem;
  return Buffer.byteLength(value as string) > MAX_SOCKET_NAME_BYTES ? `must be at most ${MAX_SOCKET_NAME_BYTES} bytes` : null;
}

export function renewDeadlineProblem(ms: unknown, options: Options): string | null {
  const lease = options.leaderElectionLeaseDurationMs as number;
  return (
    positiveDuration(ms) ??
    ((ms as number) < lease ? null : 'must be less than --leader-election-lease-duration')
  );
}

export function retryPeriodProblem(ms: unknown, options: Options): string | null {
  const renew = options.leaderElectionRenewDeadlineMs as number;
  return (
    positiveDuration(ms) ??
    ((ms as number) * LEADER_ELECTION_JITTER < renew
      ? null
      : `× ${LEADER_ELECTION_JITTER} (jitter) must be less than --leader-election-renew-deadline`)
  );
}

export const annotationMapProblem = (value: unknown): string | null =>
  value !== null && typeof value === 'object'
    ? annotationsProblem(value as Record<string, string>)
    : 'must be a map';
