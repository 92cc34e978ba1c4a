import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { ValidationError } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { CsiError } from './csi-error';
import { redactRequest, scrub, sensitiveValuesOf } from './redact';
import { logLevelFor, toRpcFailure } from './rpc-failure';

const INTERNAL_MESSAGE =
  "Node/NodePublishVolume: internal error in the CSI driver; see the driver's logs";

describe('toRpcFailure', () => {
  it('keeps a CsiError code and message', () => {
    expect(
      toRpcFailure(new CsiError(status.NOT_FOUND, 'volume gone'), 'Node/NodePublishVolume'),
    ).toEqual({
      code: status.NOT_FOUND,
      message: 'volume gone',
    });
  });

  it('keeps an RpcException that already carries a gRPC status', () => {
    const err = new RpcException({ code: status.ABORTED, message: 'busy' });
    expect(toRpcFailure(err, 'x')).toEqual({ code: status.ABORTED, message: 'busy' });
  });

  it('turns a class-validator error into INTERNAL without its target or value', () => {
    const err = new ValidationError();
    err.property = 'token';
    err.value = 'eyJhbGciOi.secret.value';
    err.target = { token: 'eyJhbGciOi.secret.value' };
    err.constraints = { isNotEmpty: 'token should not be empty' };
    const failure = toRpcFailure([err], 'Node/NodePublishVolume');
    expect(failure).toEqual({
      code: status.INTERNAL,
      message: INTERNAL_MESSAGE,
      detail: 'ValidationError: token: token should not be empty',
    });
  });

  it.each([
    [new TypeError('x is undefined'), 'TypeError: x is undefined'],
    [new RpcException('plain text'), 'Error: plain text'],
    [{ some: 'object' }, 'non-Error thrown (object with keys some)'],
    ['a string', 'non-Error thrown (string)'],
  ])('turns %j into INTERNAL with a fixed client message', (err, detail) => {
    expect(toRpcFailure(err, 'Node/NodePublishVolume')).toEqual({
      code: status.INTERNAL,
      message: INTERNAL_MESSAGE,
      detail,
    });
  });

  it('logs caller/cluster problems at warn and driver faults at error', () => {
    expect(logLevelFor(status.INVALID_ARGUMENT)).toBe('warn');
    expect(logLevelFor(status.DEADLINE_EXCEEDED)).toBe('warn');
    expect(logLevelFor(status.INTERNAL)).toBe('error');
    expect(logLevelFor(status.UNKNOWN)).toBe('error');
  });
});

describe('redaction', () => {
  const tokens = JSON.stringify({
    '': { token: 'header.payload.signature' },
    vault: { token: 'another-token-x' },
  });
  const request = {
    volume_id: 'v',
    secrets: { password: 'hunter2-secret' },
    volume_context: { 'csi.storage.k8s.io/serviceAccount.tokens': tokens, other: 'kept' },
  };

  it('drops secrets and replaces the token map, leaving the input untouched', () => {
    expect(redactRequest(request)).toEqual({
      volume_id: 'v',
      volume_context: { 'csi.storage.k8s.io/serviceAccount.tokens': '[REDACTED]', other: 'kept' },
    });
    expect(request.volume_context['csi.storage.k8s.io/serviceAccount.tokens']).toBe(tokens);
  });

  it('scrubs every token and secret from free text', () => {
    const secrets = sensitiveValuesOf(request);
    const text = `failed: ${tokens} / Bearer header.payload.signature / another-token-x / hunter2-secret`;
    expect(scrub(text, secrets)).toBe(
      'failed: [REDACTED] / Bearer [REDACTED] / [REDACTED] / [REDACTED]',
    );
  });

  it('passes non-objects through', () => {
    expect(redactRequest(null)).toBeNull();
    expect(sensitiveValuesOf('x')).toEqual([]);
  });
});
