import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { DomainError } from '../domain-error';
import { CsiError } from './csi-error';
import { GRPC_STATUS_OF } from './domain-status';
import { scrub, sensitiveValuesOf } from './redact';

/** What the client sees (code + message) and what the log gets (detail, never sent). */
export interface RpcFailure {
  code: status;
  message: string;
  /** Present for unexpected errors: the original error text, for the log only. */
  detail?: string;
}

function isGrpcStatusObject(v: unknown): v is { code: number; message: string } {
  if (typeof v !== 'object' || v === null) return false;
  const { code, message } = v as { code?: unknown; message?: unknown };
  return (
    typeof code === 'number' &&
    Number.isInteger(code) &&
    code in status &&
    typeof message === 'string'
  );
}

/**
 * Maps anything a handler throws to the status kubelet gets. Only a DomainError (its kind mapped
 * through GRPC_STATUS_OF), a CsiError from the edge's own request checks and an RpcException
 * already carrying a gRPC status keep their message; anything else is a bug or an unexpected
 * failure below us, whose text may contain request data, so the client gets a fixed INTERNAL message.
 */
export function toRpcFailure(err: unknown, rpc: string): RpcFailure {
  if (err instanceof DomainError) return { code: GRPC_STATUS_OF[err.kind], message: err.message };
  if (err instanceof CsiError) return { code: err.code, message: err.message };
  if (err instanceof RpcException && isGrpcStatusObject(err.getError())) {
    const { code, message } = err.getError() as { code: number; message: string };
    return { code, message };
  }
  return {
    code: status.INTERNAL,
    message: `${rpc}: internal error in the CSI driver; see the driver's logs`,
    detail: describeUnexpected(err),
  };
}

function describeUnexpected(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  if (Array.isArray(err)) return err.map(describeUnexpected).join('; ');
  if (typeof err === 'object' && err !== null) {
    // class-validator's ValidationError carries the validated object in `target`/`value`, which may
    // hold credentials: report only which property broke which rule.
    const { property, constraints } = err as { property?: unknown; constraints?: unknown };
    if (typeof property === 'string') {
      const rules =
        typeof constraints === 'object' && constraints !== null ? Object.values(constraints) : [];
      return `ValidationError: ${property}: ${rules.join(', ') || 'invalid'}`;
    }
    return `non-Error thrown (object with keys ${Object.keys(err).join(', ')})`;
  }
  return `non-Error thrown (${typeof err})`;
}

/** Codes that mean "the caller or the cluster must act" rather than "the driver is broken". */
const EXPECTED_CODES: ReadonlySet<status> = new Set([
  status.CANCELLED,
  status.INVALID_ARGUMENT,
  status.DEADLINE_EXCEEDED,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.PERMISSION_DENIED,
  status.RESOURCE_EXHAUSTED,
  status.FAILED_PRECONDITION,
  status.ABORTED,
  status.UNIMPLEMENTED,
  status.UNAVAILABLE,
  status.UNAUTHENTICATED,
]);

export function logLevelFor(code: status): 'warn' | 'error' {
  return EXPECTED_CODES.has(code) ? 'warn' : 'error';
}

/**
 * The failure as it may leave the handler: toRpcFailure with every secret the request carried
 * scrubbed from the message and the detail (lower layers may have echoed a token in their text).
 */
export function publicFailure(err: unknown, rpc: string, request: unknown): RpcFailure {
  const failure = toRpcFailure(err, rpc);
  const secrets = sensitiveValuesOf(request);
  const scrubbed: RpcFailure = { code: failure.code, message: scrub(failure.message, secrets) };
  if (failure.detail !== undefined) scrubbed.detail = scrub(failure.detail, secrets);
  return scrubbed;
}
