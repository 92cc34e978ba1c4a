/** pino-compatible subset, so a pino.Logger can be passed straight in. */
export interface KubeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const silentLogger: KubeLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** Log-safe description of an error: never includes request bodies or headers. */
export function describeError(e: unknown): Record<string, unknown> {
  if (e instanceof Error) {
    const extra = e as Error & { code?: unknown; reason?: unknown };
    return {
      err: e.message,
      ...(extra.code !== undefined ? { code: extra.code } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
    };
  }
  return { err: String(e) };
}
