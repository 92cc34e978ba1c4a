import pino, { DestinationStream, Level, Logger } from 'pino';

/**
 * Field names whose values never reach a log line, whatever object they sit in. `request` is not
 * one: it names CertificateRequests (`<namespace>/<name>`) and carries the redacted CSI request,
 * which operators need; CSR bodies are caught by their content instead (secretInString).
 */
export const SECRET_FIELDS: readonly string[] = [
  'token',
  'tokens',
  'privateKey',
  'key',
  'privateKeyPem',
  'csr',
  'secrets',
  'authorization',
  'csi.storage.k8s.io/serviceAccount.tokens',
];
// Logged objects nest Pod → volume context → field a few levels deep; deeper structures are cut.
const REDACT_DEPTH = 8;
export const REDACTED = '[REDACTED]';
export const TRUNCATED = '[TRUNCATED]';
const SECRET_SET = new Set(SECRET_FIELDS);

/**
 * A copy of `value` with every secret field censored, at any depth up to REDACT_DEPTH (deeper
 * values are replaced, never printed unchecked). Untouched branches are returned as they are, so a
 * log line without secrets costs one walk and no copies. Objects with toJSON are redacted in the
 * form they will be printed in.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (depth > REDACT_DEPTH) return TRUNCATED;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return redactSecrets(toJSON.call(value), depth);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const redacted = redactSecrets(item, depth + 1);
      if (redacted !== item) (copy ??= value.slice())[i] = redacted;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const item = source[key];
    const redacted = SECRET_SET.has(key) ? REDACTED : redactSecrets(item, depth + 1);
    if (redacted !== item) (copy ??= errorAwareCopy(source))[key] = redacted;
  }
  return copy ?? value;
}

// A PEM block (private key, CSR) or its base64 form, as spec.request carries it ("-----BEGI").
const PEM_MARKERS = ['-----BEGIN', 'LS0tLS1CRUdJ'];
// A JWT (every ServiceAccount token): base64url header `{"…` dot payload `{"…` dot signature.
const JWT = /eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*/g;

/**
 * Secrets recognised by their content, whatever field (or error text) carries them: a string
 * holding PEM is dropped whole, a JWT inside a string is cut out. Cheap checks first, so an
 * ordinary string costs two substring searches.
 */
function redactString(value: string): string {
  if (PEM_MARKERS.some((marker) => value.includes(marker))) return REDACTED;
  return value.includes('eyJ') ? value.replace(JWT, REDACTED) : value;
}

/** Errors keep message and stack (not enumerable) when copied. */
function errorAwareCopy(source: Record<string, unknown>): Record<string, unknown> {
  if (!(source instanceof Error)) return { ...source };
  return { ...source, type: source.name, message: source.message, stack: source.stack };
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

/**
 * JSON logger for the apps: klog-style verbosity, secret fields redacted at any reasonable depth.
 * The redaction is a formatter rather than pino's path-based redact: 54 wildcard paths made every
 * log line cost ~0.2 ms, a visible share of the approver's time per decision.
 */
export function createLogger(o: {
  level: number;
  name: string;
  destination?: DestinationStream;
}): Logger {
  const options = {
    name: o.name,
    level: pinoLevelForVerbosity(o.level),
    formatters: {
      log: (object: Record<string, unknown>) => redactSecrets(object) as Record<string, unknown>,
    },
  };
  // Asynchronous stdout: lines written while a write is in flight go out together (the approver
  // logs a line per decision); pino flushes synchronously on exit, so a crash loses nothing.
  const destination = o.destination ?? pino.destination({ dest: 1, sync: false });
  const logger = pino(options, destination);
  // pino gives child bindings no formatter; children inherit this override through their prototype.
  const child = logger.child as unknown as (this: Logger, b: pino.Bindings, o?: object) => Logger;
  logger.child = function (this: Logger, bindings: pino.Bindings, childOptions?: object) {
    return child.call(this, redactSecrets(bindings) as pino.Bindings, childOptions);
  } as unknown as Logger['child'];
  return logger;
}
