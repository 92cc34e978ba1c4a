import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DOMAIN_ERROR_KINDS, DomainError, type DomainErrorKind } from '../domain-error';
import { logLevelFor, toRpcFailure } from './rpc-failure';

// Written out rather than derived from GRPC_STATUS_OF: these are the codes kubelet has always seen.
const EXPECTED: Record<DomainErrorKind, { code: status; level: 'warn' | 'error' }> = {
  'invalid-request': { code: status.INVALID_ARGUMENT, level: 'warn' },
  'precondition-failed': { code: status.FAILED_PRECONDITION, level: 'warn' },
  forbidden: { code: status.PERMISSION_DENIED, level: 'warn' },
  unauthenticated: { code: status.UNAUTHENTICATED, level: 'warn' },
  unavailable: { code: status.UNAVAILABLE, level: 'warn' },
  'timed-out': { code: status.DEADLINE_EXCEEDED, level: 'warn' },
  internal: { code: status.INTERNAL, level: 'error' },
};

describe('domain error kind → gRPC status (the CSI edge)', () => {
  it.each(DOMAIN_ERROR_KINDS)('%s keeps its message and gets its status', (kind) => {
    const failure = toRpcFailure(new DomainError(kind, `volume vol-1: ${kind}`), 'Node/NodePublishVolume');
    expect(failure).toEqual({ code: EXPECTED[kind].code, message: `volume vol-1: ${kind}` });
    expect(logLevelFor(failure.code)).toBe(EXPECTED[kind].level);
  });

  it('covers every kind the domain has', () => {
    expect([...DOMAIN_ERROR_KINDS].sort()).toEqual(Object.keys(EXPECTED).sort());
  });
});
