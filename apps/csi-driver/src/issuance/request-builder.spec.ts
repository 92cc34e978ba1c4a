import type { CertificateRequestCondition } from '@spiffe-csi/kubernetes';
import { describe, expect, it } from 'vitest';
import { IDENTITY_ANNOTATION, NODE_ID_HASH_LABEL, NODE_LABEL, VOLUME_ID_HASH_LABEL, fnv1a32, isLabelSafe, volumeSelector } from './labels';
import { buildCertificateRequest, type RequestInput } from './request-builder';
import { classifyRequest } from './request-outcome';

const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
const input: RequestInput = {
  volumeId: 'csi-0123abcd', nodeId: 'worker-1', namespace: 'team-a',
  spiffeId: 'spiffe://cluster.local/ns/team-a/sa/web', csrPem: CSR,
  issuerRef: { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' }, duration: '1h',
  podName: 'web-0', podUid: 'uid-1', extraAnnotations: { 'firefly.venafi.com/policy': 'p', [IDENTITY_ANNOTATION]: 'spoof' },
};

describe('fnv1a32', () => {
  it('matches the FNV-1a reference vectors as unsigned decimal', () => {
    expect(fnv1a32('')).toBe('2166136261');
    expect(fnv1a32('a')).toBe('3826002220');
    expect(fnv1a32('foobar')).toBe(String(0xbf9cf968));
  });
});

describe('isLabelSafe', () => {
  it.each([['worker-1', true], ['ip-10-0-0-1.ec2.internal', true], ['a'.repeat(64), false], ['node/x', false], ['-x', false]])(
    '%s → %s', (value, safe) => expect(isLabelSafe(value)).toBe(safe));
});

describe('buildCertificateRequest', () => {
  const request = buildCertificateRequest(input);

  it('carries the CSR as base64 of the PEM bytes, in the ServiceAccount namespace', () => {
    expect(Buffer.from(request.spec.request, 'base64').toString()).toBe(CSR);
    expect(request.metadata.namespace).toBe('team-a');
    expect(request.metadata.name).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('asks for a non-CA SVID from the active issuer for the configured duration', () => {
    expect(request.spec).toMatchObject({
      issuerRef: input.issuerRef, duration: '1h', isCA: false,
      usages: ['digital signature', 'key encipherment', 'client auth', 'server auth'],
    });
  });

  it('labels with node and volume hashes and the readable node name, annotates the identity last', () => {
    expect(request.metadata.labels).toEqual({
      [NODE_ID_HASH_LABEL]: fnv1a32('worker-1'), [VOLUME_ID_HASH_LABEL]: fnv1a32('csi-0123abcd'), [NODE_LABEL]: 'worker-1',
    });
    expect(request.metadata.annotations).toEqual({
      'firefly.venafi.com/policy': 'p', [IDENTITY_ANNOTATION]: 'spiffe://cluster.local/ns/team-a/sa/web',
    });
    expect(volumeSelector('worker-1', 'csi-0123abcd')).toBe(
      `${NODE_ID_HASH_LABEL}=${fnv1a32('worker-1')},${VOLUME_ID_HASH_LABEL}=${fnv1a32('csi-0123abcd')}`);
  });

  it('is owned by the Pod only when its name and uid are known; skips unsafe node labels', () => {
    expect(request.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'web-0', uid: 'uid-1' }]);
    const bare = buildCertificateRequest({ ...input, podUid: undefined, nodeId: 'x'.repeat(70) });
    expect(bare.metadata.ownerReferences).toBeUndefined();
    expect(bare.metadata.labels?.[NODE_LABEL]).toBeUndefined();
  });
});

describe('classifyRequest', () => {
  const base = buildCertificateRequest(input);
  const withConditions = (...conditions: CertificateRequestCondition[]) =>
    ({ ...base, status: { conditions, certificate: Buffer.from('PEM').toString('base64') } });

  it('reads issued, denied, failed and pending states', () => {
    expect(classifyRequest(withConditions({ type: 'Ready', status: 'True', reason: 'Issued' }))).toEqual({ state: 'issued', certificate: 'PEM' });
    expect(classifyRequest(withConditions({ type: 'Denied', status: 'True', reason: 'Denied', message: 'bad path' })))
      .toEqual({ state: 'denied', message: 'bad path' });
    expect(classifyRequest(withConditions({ type: 'Ready', status: 'False', reason: 'Failed', message: 'CA gone' })))
      .toEqual({ state: 'failed', message: 'CA gone' });
    expect(classifyRequest(base)).toEqual({ state: 'pending', reason: 'not yet approved' });
    expect(classifyRequest(withConditions({ type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting' })).state).toBe('pending');
  });
});
