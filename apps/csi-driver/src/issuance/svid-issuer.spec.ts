// @peculiar/x509 (inside @spiffe-csi/crypto) needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectCsiError } from '../volume/testing/harness';
import { PendingRequests } from './pending-requests';
import { StaticIssuerSource } from './static-issuer-source';
import { SvidIssuer, type IssuanceTarget } from './svid-issuer';
import { FakeRequestBackend } from './testing/fake-request-backend';
import { TestCa } from './testing/test-ca';
import { eventually } from '../../../../test/support/eventually';

const target: IssuanceTarget = {
  volumeId: 'vol-1', namespace: 'team-a', spiffeId: 'spiffe://cluster.local/ns/team-a/sa/web',
  token: 'pod-token', podName: 'web-0', podUid: 'uid-1',
};
const logger = pino({ level: 'silent' });

describe('SvidIssuer', () => {
  let backend: FakeRequestBackend;
  let pending: PendingRequests;
  let issuer: SvidIssuer;
  const make = (timeoutMs = 2_000, issuerName = 'ca') => new SvidIssuer(
    { nodeId: 'node-1', keyAlgorithm: 'ecdsa-p256', duration: '1h', issuanceTimeoutMs: timeoutMs, extraAnnotations: {} },
    backend, new StaticIssuerSource({ name: issuerName }), pending, logger);

  beforeEach(async () => {
    backend = new FakeRequestBackend(await TestCa.create());
    pending = new PendingRequests();
    issuer = make();
  });

  it('creates the request with the Pod token and returns a verified SVID with its key', async () => {
    const svid = await issuer.issue(target);
    expect(backend.created).toEqual([{ token: 'pod-token', name: expect.any(String) }]);
    expect(svid.privateKeyPem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(svid.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(svid.notAfter.getTime() - svid.notBefore.getTime()).toBe(3600_000);
    expect(svid.requestName).toBe(`team-a/${backend.created[0].name}`);
    expect(pending.size()).toBe(0);
  });

  it('carries the approver message of a denied request and forgets it', async () => {
    backend.answer = { deny: 'SPIFFE ID path does not match the ServiceAccount' };
    const error = await expectCsiError(issuer.issue(target));
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(error.message).toBe(`certificate request team-a/${backend.created[0].name} was denied: SPIFFE ID path does not match the ServiceAccount`);
    expect(pending.size()).toBe(0);
  });

  it('reports a Failed request with the issuer message', async () => {
    backend.answer = { fail: 'issuer "ca" not found' };
    const error = await expectCsiError(issuer.issue(target));
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.message).toContain('issuer "ca" not found');
  });

  it('times out with the last state, then resumes the same request on retry', async () => {
    backend.answer = 'none';
    issuer = make(150);
    const error = await expectCsiError(issuer.issue(target));
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    const name = backend.created[0].name;
    expect(error.message).toBe(`timed out waiting for certificate request team-a/${name} to be issued (not yet approved)`);
    expect(pending.get('vol-1')?.requestName).toBe(name);

    issuer = make(); // same pending map; a generous timeout so a loaded machine cannot fail the retry
    setTimeout(() => void backend.issue(`team-a/${name}`), 30);
    issuer = make(); // same pending map; a generous timeout so a loaded machine cannot fail the retry
    const svid = await issuer.issue(target);
    expect(backend.created).toHaveLength(1);
    expect(svid.requestName).toBe(`team-a/${name}`);
    expect(pending.size()).toBe(0);
  });

  it('creates a new request when the pending one is gone', async () => {
    backend.answer = 'none';
    issuer = make(100);
    await expectCsiError(issuer.issue(target));
    await backend.delete('team-a', backend.created[0].name);
    backend.answer = 'issue';
    issuer = make(); // same pending map; a generous timeout so a loaded machine cannot fail it
    await issuer.issue(target);
    expect(backend.created).toHaveLength(2);
  });

  it('survives a dropped watch', async () => {
    backend.answer = 'none';
    const result = issuer.issue(target);
    await eventually(() => backend.created.length === 1);
    backend.closeWatches();
    await backend.issue(`team-a/${backend.created[0].name}`);
    await expect(result).resolves.toMatchObject({ requestName: `team-a/${backend.created[0].name}` });
  });

  it.each([
    ['other-key', /^B16: the leaf's public key does not match the private key/],
    ['wrong-uri', /^B1: .*spiffe:\/\/cluster.local\/ns\/other\/sa\/intruder/],
    ['ca-cert', /^B5: the leaf is a CA certificate/],
    ['no-digital-signature', /^B8: keyUsage lacks digitalSignature \(certificate request team-a\/.*neither written nor served/],
  ] as const)('refuses a certificate with tampering %s, naming the rule, and forgets the request', async (tamper, reason) => {
    backend.tamper = tamper;
    const error = await expectCsiError(issuer.issue(target));
    expect(error.code).toBe(status.INTERNAL);
    expect(error.message).toMatch(reason);
    expect(pending.size()).toBe(0);
  });

  it('checks the chain against --source-ca-bundle when set (it wins over status.ca), else against status.ca', async () => {
    const svid = await issuer.issue(target);
    expect(svid.validated.bundlePem).toBe(svid.caPem);
    const stranger = Buffer.from((await TestCa.create()).pem);
    const withSource = new SvidIssuer(
      { nodeId: 'node-1', keyAlgorithm: 'ecdsa-p256', duration: '1h', issuanceTimeoutMs: 2_000, extraAnnotations: {} },
      backend, new StaticIssuerSource({ name: 'ca' }), pending, logger, undefined,
      { current: () => stranger, onChange: () => () => undefined });
    const error = await expectCsiError(withSource.issue(target));
    expect(error.message).toMatch(/^B14: the chain does not verify against the trust bundle of its trust domain/);
  });

  it('fails clearly without an active issuer, before creating anything', async () => {
    issuer = make(100, '');
    const error = await expectCsiError(issuer.issue(target));
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(backend.created).toHaveLength(0);
  });

  it('maps a forbidden create to PERMISSION_DENIED and keeps no pending key', async () => {
    backend.rejectCreate = Object.assign(new Error('certificaterequests is forbidden'), { statusCode: 403 });
    const error = await expectCsiError(issuer.issue(target));
    expect(error.code).toBe(status.PERMISSION_DENIED);
    expect(error.message).toContain('forbidden');
    expect(pending.size()).toBe(0);
  });
});
