import { describe, expect, it } from 'vitest';
import {
  KubeApiError,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  isTransient,
} from './errors';

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('KubeApiError', () => {
  it('takes code, reason and message from a Status body', () => {
    const e = KubeApiError.fromResponse(
      'GET',
      '/api/v1/x',
      404,
      status(404, 'NotFound', 'x "a" not found'),
    );
    expect([e.code, e.reason, e.status?.message]).toEqual([404, 'NotFound', 'x "a" not found']);
    expect(e.message).toContain('x "a" not found');
    expect(isNotFound(e)).toBe(true);
    expect(isConflict(e)).toBe(false);
  });

  it('falls back to the HTTP code when the body is not a Status', () => {
    const e = KubeApiError.fromResponse('PUT', '/p', 409, 'upstream said no');
    expect(e.reason).toBe('Conflict');
    expect(e.message).toContain('upstream said no');
    expect(isConflict(e)).toBe(true);
  });

  it('tells AlreadyExists apart from an optimistic-concurrency conflict', () => {
    const exists = KubeApiError.fromResponse(
      'POST',
      '/p',
      409,
      status(409, 'AlreadyExists', 'exists'),
    );
    expect(isAlreadyExists(exists)).toBe(true);
    expect(isConflict(exists)).toBe(false);
  });

  it('recognises 410 Gone from HTTP and from a watch ERROR Status', () => {
    expect(
      isGone(KubeApiError.fromResponse('GET', '/p', 410, status(410, 'Expired', 'too old'))),
    ).toBe(true);
    expect(
      isGone(KubeApiError.fromStatus('GET', '/p', { kind: 'Status', code: 410, reason: 'Gone' })),
    ).toBe(true);
    expect(isGone(KubeApiError.fromResponse('GET', '/p', 404, ''))).toBe(false);
  });

  it('classifies transient failures', () => {
    expect(isTransient(new KubeApiError(0, 'ConnectionFailed', 'refused', 'GET', '/'))).toBe(true);
    expect(isTransient(KubeApiError.fromResponse('GET', '/', 503, ''))).toBe(true);
    expect(isTransient(KubeApiError.fromResponse('GET', '/', 429, ''))).toBe(true);
    expect(isTransient(KubeApiError.fromResponse('GET', '/', 403, ''))).toBe(false);
    expect(isNotFound(new Error('404'))).toBe(false);
  });
});
