import { status } from '@grpc/grpc-js';

/**
 * An error with the gRPC status kubelet should see. The message goes to kubelet verbatim (and from
 * there into Pod events), so it must be actionable and must never contain a token or key.
 */
export class CsiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'CsiError';
  }
}

export function invalidArgument(message: string): CsiError {
  return new CsiError(status.INVALID_ARGUMENT, message);
}
