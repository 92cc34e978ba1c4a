import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs it before it loads
import { beforeAll, describe, expect, it } from 'vitest';
import { withDecision } from '../../apps/approver/src/controller/decision';
import {
  decide,
  evaluate,
  IDENTITY_ANNOTATION,
  isDecidedByUs,
  SPIFFE_ISSUER_REASON,
  SPIFFE_URI_SAN_REASON,
  UNREADABLE_CSR_REASON,
  type DecideOptions,
  type PolicyOptions,
} from '../../apps/approver/src/policy';
import { buildCsr, certificateRequest, spiffeIdOf } from './fixtures';

// The Go original's two extra modes (go-original.md 2.2-2.4). CSRs come from @peculiar/x509.
const DRIVER_SA = 'system:serviceaccount:cert-manager:cert-manager-csi-driver-spiffe';
const base: PolicyOptions = {
  trustDomain: 'cluster.local',
  durationMs: 3_600_000,
  keyAlgorithm: 'ecdsa-p521',
};
const ownSa: PolicyOptions = { ...base, driverServiceAccount: DRIVER_SA };
const auto: DecideOptions = { ...base, autoApproveNonSpiffe: true };

const annotated = <T extends ReturnType<typeof certificateRequest>>(cr: T, id: string): T => ({
  ...cr,
  metadata: { ...cr.metadata, annotations: { [IDENTITY_ANNOTATION]: id } },
});

describe('--use-own-service-account: the requester is the driver', () => {
  const id = spiffeIdOf('sandbox', 'app');
  let csr: string;
  beforeAll(async () => {
    csr = await buildCsr({ uris: [id] });
  });

  it('approves the driver asking for any ServiceAccount of the request namespace', async () => {
    const decision = await evaluate(
      certificateRequest({ csrPem: csr, username: DRIVER_SA }),
      ownSa,
    );
    expect(decision).toEqual({ approved: true, reasons: [], failures: [] });
  });

  it('without the mode, the same request by the driver is denied (identity must be the requester)', async () => {
    const decision = await evaluate(certificateRequest({ csrPem: csr, username: DRIVER_SA }), base);
    expect(decision.failures.map((f) => f.rule)).toEqual(['identity']);
  });

  it.each([
    [
      'the workload itself',
      `system:serviceaccount:sandbox:app`,
      `spec.username "system:serviceaccount:sandbox:app" is not the driver's ServiceAccount "${DRIVER_SA}"`,
    ],
    [
      'another driver name',
      'system:serviceaccount:cert-manager:other',
      `spec.username "system:serviceaccount:cert-manager:other" is not the driver's ServiceAccount "${DRIVER_SA}"`,
    ],
    ['a user', 'admin', `spec.username "admin" is not the driver's ServiceAccount "${DRIVER_SA}"`],
    ['nobody', '', 'spec.username is missing'],
  ])('denies a request by %s', async (_who, username, reason) => {
    const cr = certificateRequest({ csrPem: csr });
    cr.spec.username = username;
    expect((await evaluate(cr, ownSa)).reasons).toEqual([reason]);
  });

  it.each([
    [
      'outside the trust domain',
      spiffeIdOf('sandbox', 'app', 'evil.example'),
      'SPIFFE ID trust domain must be "cluster.local", got "evil.example"',
    ],
    [
      'not a ServiceAccount path',
      'spiffe://cluster.local/admin',
      'SPIFFE ID path "/admin" is not /ns/<namespace>/sa/<name>',
    ],
    [
      'with an extra segment',
      'spiffe://cluster.local/ns/sandbox/sa/app/x',
      'SPIFFE ID path "/ns/sandbox/sa/app/x" is not /ns/<namespace>/sa/<name>',
    ],
    [
      'for another namespace',
      spiffeIdOf('kube-system', 'app'),
      'SPIFFE ID namespace "kube-system" is not the request\'s namespace "sandbox"',
    ],
    [
      'not SPIFFE at all',
      'https://cluster.local/ns/sandbox/sa/app',
      'URI SAN "https://cluster.local/ns/sandbox/sa/app" is not a valid SPIFFE ID: scheme is missing or invalid: a SPIFFE ID starts with "spiffe://"',
    ],
  ])('denies the driver asking for an ID %s', async (_what, uri, reason) => {
    const cr = certificateRequest({ csrPem: await buildCsr({ uris: [uri] }), username: DRIVER_SA });
    expect((await evaluate(cr, ownSa)).reasons).toEqual([reason]);
  });

  it('keeps every other rule: the driver cannot get a CA or a DNS name either', async () => {
    const cr = certificateRequest({
      csrPem: await buildCsr({ uris: [id], dns: ['x.example'] }),
      username: DRIVER_SA,
      isCA: true,
    });
    expect((await evaluate(cr, ownSa)).failures.map((f) => f.rule)).toEqual(['is-ca', 'subject']);
  });
});

describe('--auto-approve-non-spiffe: which requests are ours to decide', () => {
  it.each([
    [true, false, true],
    [false, false, false],
    [true, true, true],
    [false, true, true],
  ])('targets our issuer %s, auto-approve %s → decided by us %s', (ours, autoApprove, expected) => {
    expect(isDecidedByUs(ours, { ...base, autoApproveNonSpiffe: autoApprove })).toBe(expected);
  });
});

describe('--auto-approve-non-spiffe: decisions', () => {
  const OTHER = { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' };
  let plain: string;
  let spiffe: string;
  beforeAll(async () => {
    plain = await buildCsr({
      key: 'RSA-2048',
      subject: 'CN=www.example.com',
      dns: ['www.example.com'],
    });
    spiffe = await buildCsr({ uris: [spiffeIdOf('sandbox', 'app')] });
  });
  const request = (csrPem: string, issuerRef = OTHER) =>
    certificateRequest({
      csrPem,
      issuerRef,
      username: 'system:serviceaccount:web:cert-manager',
      duration: '2160h',
      usages: ['digital signature'],
    });

  it("approves a plain request for another issuer, as cert-manager's approver would", async () => {
    expect(await decide(request(plain), false, auto)).toEqual({
      approved: true,
      reasons: [],
      failures: [],
    });
  });

  it.each([
    ['a spiffe:// URI SAN', ['spiffe://cluster.local/ns/sandbox/sa/app']],
    ['an upper-case SPIFFE:// URI SAN', ['SPIFFE://cluster.local/ns/kube-system/sa/admin']],
    [
      'a SPIFFE URI beside an ordinary one',
      ['https://www.example.com/', 'spiffe://other.domain/x'],
    ],
  ])('denies a request for another issuer smuggling %s', async (_what, uris) => {
    const csr = await buildCsr({ key: 'P-256', subject: 'CN=www.example.com', uris });
    const decision = await decide(request(csr), false, auto);
    expect(decision.reasons).toEqual([SPIFFE_URI_SAN_REASON]);
    expect(withDecision(request(csr) as never, decision, new Date(0)).status?.conditions).toEqual([
      {
        type: 'Denied',
        status: 'True',
        reason: 'spiffe.csi.cert-manager.io',
        message: 'Denied request: non-SPIFFE certificate request contains SPIFFE URI SAN',
        lastTransitionTime: '1970-01-01T00:00:00Z',
      },
    ]);
  });

  it('denies a plain request for our SPIFFE issuer', async () => {
    const decision = await decide(request(plain), true, auto);
    expect(decision.reasons).toEqual([SPIFFE_ISSUER_REASON]);
    expect(decision.failures[0].rule).toBe('non-spiffe-issuer');
  });

  it('reports the SPIFFE URI first for an unannotated SPIFFE CSR for our issuer (the Go order)', async () => {
    expect((await decide(request(spiffe), true, auto)).reasons).toEqual([SPIFFE_URI_SAN_REASON]);
  });

  it('judges an annotated request for our issuer by the SPIFFE policy', async () => {
    const id = spiffeIdOf('sandbox', 'app');
    const good = annotated(certificateRequest({ csrPem: spiffe }), id);
    expect(await decide(good, true, auto)).toEqual({ approved: true, reasons: [], failures: [] });
    const bad = annotated(
      certificateRequest({ csrPem: spiffe, username: 'system:serviceaccount:sandbox:other' }),
      id,
    );
    expect((await decide(bad, true, auto)).failures.map((f) => f.rule)).toEqual(['identity']);
  });

  it('treats an annotated request for another issuer as non-SPIFFE (its SPIFFE URI is denied)', async () => {
    const cr = annotated(request(spiffe), spiffeIdOf('sandbox', 'app'));
    expect((await decide(cr, false, auto)).reasons).toEqual([SPIFFE_URI_SAN_REASON]);
  });

  it('denies what it cannot read rather than approve a CSR it could not search for SPIFFE URIs', async () => {
    const cr = request(plain);
    cr.spec.request = Buffer.from(
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
    ).toString('base64');
    expect((await decide(cr, false, auto)).reasons).toEqual([UNREADABLE_CSR_REASON]);
  });

  it('without auto-approve, an unannotated request for our issuer still meets the SPIFFE policy', async () => {
    const decision = await decide(request(plain), true, base);
    expect(decision.approved).toBe(false);
    expect(decision.failures.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['subject', 'usages']),
    );
  });
});
