import { status } from '@grpc/grpc-js';
import type { DomainErrorKind } from '../domain-error';

/**
 * The one place a domain failure becomes a gRPC status. Kubelet retries every code, but the code
 * decides how the failure reads in Pod events and whether the RPC log line is a warning (the caller
 * or the cluster must act) or an error (the driver is broken): see rpc-failure.ts.
 */
export const GRPC_STATUS_OF: Readonly<Record<DomainErrorKind, status>> = {
  'invalid-request': status.INVALID_ARGUMENT,
  'precondition-failed': status.FAILED_PRECONDITION,
  forbidden: status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  unavailable: status.UNAVAILABLE,
  'timed-out': status.DEADLINE_EXCEEDED,
  internal: status.INTERNAL,
};
