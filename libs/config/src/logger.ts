import pino, { DestinationStream, Level, Logger } from 'pino';

/** Field names whose values never reach a log line, whatever object they sit in. */
export const SECRET_FIELDS: readonly string[] = [
  'token',
  'tokens',
  'privateKey',
  'key',
  'privateKeyPem',
  'csr',
  'request',
  'authorization',
  'csi.storage.k8s.io/serviceAccount.tokens',
];
// Depth 0 is a top-level field; logged objects nest Pod → volume context → field at most a few deep.
const REDACT_DEPTH = 5;
export const REDACTED = '[REDACTED]';

/** pino redact paths for every secret field at depths 0..REDACT_DEPTH. */
export function redactPaths(): string[] {
  const segments = SECRET_FIELDS.map((field) =>
    /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `[${JSON.stringify(field)}]`,
  );
  const paths: string[] = [];
  for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
    const prefix = Array.from({ length: depth }, () => '*').join('.');
    for (const segment of segments) {
      paths.push(prefix === '' ? segment.replace(/^\./, '') : `${prefix}${segment}`);
    }
  }
  return paths;
}

/**
 * Go klog verbosity → pino level. 0 and 1 both map to info: klog prints unlevelled Info lines at
 * every verbosity, so hiding info at 0 would drop lines Go operators expect to see.
 */
export function pinoLevelForVerbosity(verbosity: number): Level {
  if (verbosity <= 1) return 'info';
  if (verbosity <= 3) return 'debug';
  return 'trace';
}

/** JSON logger for the apps: klog-style verbosity, secret fields redacted at any reasonable depth. */
export function createLogger(o: {
  level: number;
  name: string;
  destination?: DestinationStream;
}): Logger {
  const options = {
    name: o.name,
    level: pinoLevelForVerbosity(o.level),
    redact: { paths: redactPaths(), censor: REDACTED },
  };
  return o.destination ? pino(options, o.destination) : pino(options);
}
