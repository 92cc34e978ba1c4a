import { describe, expect, it } from 'vitest';
import {
  getCondition,
  isApproved,
  isDenied,
  readyCondition,
  setCondition,
  type CertificateRequest,
} from './certificate-request.types';
import { formatMicroTime, formatTime, objectKey } from './objects';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const cr = (conditions?: CertificateRequest['status']): CertificateRequest => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'CertificateRequest',
  metadata: { name: 'a', namespace: 'ns' },
  spec: { request: 'eA==', issuerRef: { name: 'ca' } },
  status: conditions,
});

describe('CertificateRequest conditions', () => {
  it('reads Approved / Denied / Ready', () => {
    const approved = cr({
      conditions: [
        { type: 'Approved', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'Pending' },
      ],
    });
    expect(isApproved(approved)).toBe(true);
    expect(isDenied(approved)).toBe(false);
    expect(readyCondition(approved)?.reason).toBe('Pending');
    expect(getCondition(cr(), 'Ready')).toBeUndefined();
    expect(isApproved(cr({ conditions: [{ type: 'Approved', status: 'False' }] }))).toBe(false);
  });

  it('setCondition appends, replaces, and keeps lastTransitionTime when the status is unchanged', () => {
    const t1 = new Date('2024-01-01T00:00:00Z');
    const t2 = new Date('2024-01-01T01:00:00Z');
    const original = cr();
    const a = setCondition(original, { type: 'Ready', status: 'False', reason: 'Pending' }, t1);
    expect(original.status).toBeUndefined();
    expect(a.status?.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Pending',
        lastTransitionTime: '2024-01-01T00:00:00Z',
      },
    ]);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'StillPending' }, t2);
    expect(b.status?.conditions?.[0]).toMatchObject({
      reason: 'StillPending',
      lastTransitionTime: '2024-01-01T00:00:00Z',
    });
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: 'Issued' }, t2);
    expect(c.status?.conditions).toHaveLength(1);
    expect(c.status?.conditions?.[0].lastTransitionTime).toBe('2024-01-01T01:00:00Z');
  });

  it('setCondition never modifies its input (informer caches hand these objects out)', () => {
    const input = deepFreeze(
      cr({ conditions: [{ type: 'Ready', status: 'False', reason: 'Pending' }], failureTime: 'x' }),
    );
    const snapshot = JSON.stringify(input);
    const out = setCondition(input, { type: 'Approved', status: 'True', reason: 'ok' });
    const replaced = setCondition(out, { type: 'Ready', status: 'True', reason: 'Issued' });
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(out.status?.conditions?.map((c) => c.type)).toEqual(['Ready', 'Approved']);
    expect(out.status?.conditions?.[0].reason).toBe('Pending');
    expect(replaced.status?.conditions?.[0].reason).toBe('Issued');
    expect(out.status?.failureTime).toBe('x');
  });
});

describe('object helpers', () => {
  it('formats MicroTime with six fractional digits and Time without fractions', () => {
    const d = new Date('2024-05-01T10:00:00.123Z');
    expect(formatMicroTime(d)).toBe('2024-05-01T10:00:00.123000Z');
    expect(formatTime(d)).toBe('2024-05-01T10:00:00Z');
  });

  it('keys namespaced and cluster-scoped objects', () => {
    expect(objectKey({ metadata: { name: 'a', namespace: 'ns' } })).toBe('ns/a');
    expect(objectKey({ metadata: { name: 'node-1' } })).toBe('node-1');
  });
});
