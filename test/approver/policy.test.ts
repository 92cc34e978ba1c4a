import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs it before it loads
import { KeyUsageFlags } from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, INVALID_CSR_REASON, type PolicyOptions } from '../../apps/approver/src/policy';
import {
  buildCsr,
  certificateRequest,
  driverCsr,
  spiffeIdOf,
  USAGES,
  type CsrSpec,
} from './fixtures';
import {
  challengePassword,
  enrollmentNameValuePair,
  msExtensionRequest,
  secondExtensionRequest,
  unstructuredName,
} from './csr-attributes';

const options: PolicyOptions = {
  trustDomain: 'cluster.local',
  durationMs: 3_600_000,
  keyAlgorithm: 'ecdsa-p521',
};
const ID = spiffeIdOf('sandbox', 'app');
const USAGES_REASON = `spec.usages must be exactly [${USAGES.join(', ')}]`;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

let validCsr: string;
beforeAll(async () => {
  validCsr = await driverCsr(ID);
});

describe('policy: approvals', () => {
  it('approves the request the driver makes', async () => {
    expect(await evaluate(certificateRequest({ csrPem: validCsr }), options)).toEqual({
      approved: true,
      reasons: [],
      failures: [],
    });
  });

  it('approves usages in another order and a duration spelled 60m', async () => {
    const cr = certificateRequest({
      csrPem: validCsr,
      duration: '60m',
      usages: [...USAGES].reverse(),
    });
    expect((await evaluate(cr, options)).approved).toBe(true);
  });

  it('approves a hand-made CSR with the permitted key usage and EKU extensions', async () => {
    const csrPem = await buildCsr({
      uris: [ID],
      keyUsages: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment,
      extendedKeyUsages: [SERVER_AUTH, CLIENT_AUTH],
    });
    expect(await evaluate(certificateRequest({ csrPem }), options)).toMatchObject({
      approved: true,
    });
  });

  it('approves P-256 when that is the configured key algorithm', async () => {
    const cr = certificateRequest({ csrPem: await driverCsr(ID, 'ecdsa-p256') });
    expect((await evaluate(cr, { ...options, keyAlgorithm: 'ecdsa-p256' })).approved).toBe(true);
  });
});

// Each row changes one thing from a valid request and expects exactly that reason.
const csrRows: [string, CsrSpec, string][] = [
  ['bad signature', { uris: [ID], corruptSignature: true }, 'CSR signature does not verify'],
  ['P-256 key', { key: 'P-256', uris: [ID] }, 'key must be ECDSA P-521, got ECDSA P-256'],
  ['P-384 key', { key: 'P-384', uris: [ID] }, 'key must be ECDSA P-521, got ECDSA P-384'],
  ['RSA key', { key: 'RSA-2048', uris: [ID] }, 'key must be ECDSA P-521, got RSA 2048'],
  ['subject CN', { subject: 'CN=app', uris: [ID] }, 'CSR subject must be empty, got CN'],
  ['subject O', { subject: 'O=acme', uris: [ID] }, 'CSR subject must be empty, got O'],
  ['DNS SAN', { uris: [ID], dns: ['app.example'] }, 'CSR must not contain DNS SANs'],
  ['IP SAN', { uris: [ID], ips: ['10.0.0.1'] }, 'CSR must not contain IP address SANs'],
  ['email SAN', { uris: [ID], emails: ['a@b.c'] }, 'CSR must not contain email address SANs'],
  ['no URI SAN', {}, 'CSR must contain exactly one URI SAN, got 0'],
  [
    'basic constraints',
    { uris: [ID], basicConstraints: { ca: false } },
    'CSR extension basic constraints (2.5.29.19) is not allowed',
  ],
  [
    'unknown extension',
    { uris: [ID], extraExtensionOids: ['1.2.3.4.5'] },
    'CSR extension 1.2.3.4.5 is not allowed',
  ],
  [
    'keyCertSign usage',
    { uris: [ID], keyUsages: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign },
    'CSR key usage must only contain digitalSignature, keyEncipherment, got keyCertSign',
  ],
  [
    'codeSigning EKU',
    { uris: [ID], extendedKeyUsages: [SERVER_AUTH, CODE_SIGNING] },
    `CSR extended key usage must only contain serverAuth, clientAuth, got ${CODE_SIGNING}`,
  ],
  // CSR attributes: only one single-valued extensionRequest is allowed (issue 11, item 6)
  [
    'challengePassword attribute',
    { uris: [ID], attributes: [challengePassword('hunter2hunter2')] },
    'CSR attribute challengePassword (1.2.840.113549.1.9.7) is not allowed',
  ],
  [
    'unstructuredName attribute',
    { uris: [ID], attributes: [unstructuredName('evil.example')] },
    'CSR attribute unstructuredName (1.2.840.113549.1.9.2) is not allowed',
  ],
  [
    'Microsoft extension request with a DNS SAN',
    { uris: [ID], attributes: [msExtensionRequest('evil.example')] },
    'CSR attribute msExtensionRequest (1.3.6.1.4.1.311.2.1.14) is not allowed',
  ],
  [
    'enrollment name-value pair SAN:dns=',
    { uris: [ID], attributes: [enrollmentNameValuePair('SAN', 'dns=evil.example')] },
    'CSR attribute enrollmentNameValuePair (1.3.6.1.4.1.311.13.2.1) is not allowed',
  ],
  [
    'second extensionRequest with a DNS SAN',
    { uris: [ID], attributes: [secondExtensionRequest('evil.example')] },
    'CSR attribute extensionRequest (1.2.840.113549.1.9.14) appears more than once',
  ],
  [
    'extensionRequest with a second value holding a DNS SAN',
    { uris: [ID], extensionRequestValues: 2 },
    'CSR attribute extensionRequest (1.2.840.113549.1.9.14) must have exactly one value, got 2',
  ],
  [
    'URI not SPIFFE',
    { uris: ['https://sandbox/app'] },
    'URI SAN "https://sandbox/app" is not a valid SPIFFE ID: scheme is missing or invalid: a SPIFFE ID starts with "spiffe://"',
  ],
  [
    'other trust domain',
    { uris: [spiffeIdOf('sandbox', 'app', 'evil.org')] },
    'SPIFFE ID trust domain must be "cluster.local", got "evil.org"',
  ],
  [
    'other service account',
    { uris: [spiffeIdOf('sandbox', 'admin')] },
    `SPIFFE ID "${spiffeIdOf('sandbox', 'admin')}" does not match the requester; expected "${ID}"`,
  ],
  [
    'other namespace',
    { uris: [spiffeIdOf('kube-system', 'app')] },
    `SPIFFE ID "${spiffeIdOf('kube-system', 'app')}" does not match the requester; expected "${ID}"`,
  ],
  [
    'extra path',
    { uris: [`${ID}/extra`] },
    `SPIFFE ID "${ID}/extra" does not match the requester; expected "${ID}"`,
  ],
];

describe('policy: each CSR check denies with its own reason', () => {
  it.each(csrRows)('%s', async (_name, spec, reason) => {
    const decision = await evaluate(certificateRequest({ csrPem: await buildCsr(spec) }), options);
    expect(decision.approved).toBe(false);
    expect(decision.reasons).toEqual([reason]);
  });

  it('a CSR without any attribute is judged as before: only its missing URI SAN is reported', async () => {
    const csrPem = await buildCsr({});
    expect((await evaluate(certificateRequest({ csrPem }), options)).reasons).toEqual([
      'CSR must contain exactly one URI SAN, got 0',
    ]);
  });

  it('an empty extensionRequest is named, and the missing URI SAN reported beside it', async () => {
    const csrPem = await buildCsr({ uris: [ID], extensionRequestValues: 0 });
    expect((await evaluate(certificateRequest({ csrPem }), options)).reasons).toEqual([
      'CSR must contain exactly one URI SAN, got 0',
      'CSR attribute extensionRequest (1.2.840.113549.1.9.14) must have exactly one value, got 0',
    ]);
  });

  it('two URI SANs: one reason for the count, no identity guess', async () => {
    const csrPem = await buildCsr({ uris: [ID, spiffeIdOf('sandbox', 'other')] });
    expect((await evaluate(certificateRequest({ csrPem }), options)).reasons).toEqual([
      'CSR must contain exactly one URI SAN, got 2',
    ]);
  });
});

describe('policy: each request-field check denies with its own reason', () => {
  const rows: [string, Record<string, unknown>, string][] = [
    ['wrong duration', { duration: '2h' }, 'spec.duration must be 1h0m0s, got "2h"'],
    ['missing duration', { duration: undefined }, 'spec.duration is missing (must be 1h0m0s)'],
    ['unparsable duration', { duration: 'soon' }, 'spec.duration "soon" is not a valid duration'],
    ['isCA', { isCA: true }, 'spec.isCA must be false'],
    [
      'extra usage',
      { usages: [...USAGES, 'cert sign'] },
      `${USAGES_REASON}: unexpected "cert sign"`,
    ],
    ['missing username', { username: undefined }, 'spec.username is missing'],
    [
      'username of a user',
      { username: 'alice' },
      'spec.username "alice" is not a ServiceAccount (system:serviceaccount:<namespace>:<name>)',
    ],
    [
      'username with extra part',
      { username: 'system:serviceaccount:sandbox:app:x' },
      'spec.username "system:serviceaccount:sandbox:app:x" is not a ServiceAccount (system:serviceaccount:<namespace>:<name>)',
    ],
    [
      'username of another SA',
      { username: 'system:serviceaccount:sandbox:other' },
      `SPIFFE ID "${ID}" does not match the requester; expected "${spiffeIdOf('sandbox', 'other')}"`,
    ],
  ];
  it.each(rows)('%s', async (_name, overrides, reason) => {
    const cr = certificateRequest({ csrPem: validCsr });
    Object.assign(cr.spec, overrides);
    if ('duration' in overrides && overrides.duration === undefined)
      delete (cr.spec as { duration?: string }).duration;
    const decision = await evaluate(cr, options);
    expect(decision.approved).toBe(false);
    expect(decision.reasons).toEqual([reason]);
  });
});

describe('policy: garbage is denied, never thrown', () => {
  it.each([
    ['null', null, ['spec is missing']],
    ['a string', 'hello', ['spec is missing']],
    ['no spec', { metadata: {} }, ['spec is missing']],
    ['spec is an array', { spec: [] }, ['spec is missing']],
  ])('%s', async (_name, cr, reasons) => {
    expect(await evaluate(cr, options)).toMatchObject({ approved: false, reasons });
  });

  it.each([
    ['not base64', '!!!!'],
    ['base64 of garbage', Buffer.from('hello').toString('base64')],
    ['a number', 12],
    [
      'base64 of a certificate PEM',
      Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString(
        'base64',
      ),
    ],
  ])('spec.request %s', async (_name, request) => {
    const cr = certificateRequest({ csrPem: validCsr });
    (cr.spec as { request: unknown }).request = request;
    const decision = await evaluate(cr, options);
    expect(decision.reasons).toEqual([INVALID_CSR_REASON]);
  });

  it('a huge spec.request is refused before parsing', async () => {
    const cr = certificateRequest({ csrPem: validCsr });
    cr.spec.request = 'A'.repeat(10_000_000);
    expect((await evaluate(cr, options)).reasons).toEqual(['spec.request is too large']);
  });

  it('an empty spec lists every missing field', async () => {
    expect((await evaluate({ spec: {} }, options)).reasons).toEqual([
      'spec.request is missing',
      'spec.duration is missing (must be 1h0m0s)',
      `${USAGES_REASON}: not a list`,
      'spec.username is missing',
    ]);
  });
});

describe('policy: multiple failures are all reported, in rule order', () => {
  it('lists every failed check and the failed rule ids', async () => {
    const csrPem = await buildCsr({
      key: 'P-256',
      subject: 'CN=x',
      uris: [spiffeIdOf('sandbox', 'app', 'evil.org')],
      dns: ['x.example'],
      basicConstraints: { ca: true },
    });
    const cr = certificateRequest({ csrPem, duration: '24h', isCA: true, usages: ['cert sign'] });
    const decision = await evaluate(cr, options);
    expect(decision.approved).toBe(false);
    expect(decision.failures.map((f) => f.rule)).toEqual([
      'key-algorithm',
      'duration',
      'is-ca',
      'usages',
      'subject',
      'subject',
      'extensions',
      'identity',
    ]);
    expect(decision.reasons[0]).toBe('key must be ECDSA P-521, got ECDSA P-256');
    expect(decision.reasons).toContain('spec.isCA must be false');
    expect(decision.reasons).toContain('CSR must not contain DNS SANs');
  });
});
