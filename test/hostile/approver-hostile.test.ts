import 'reflect-metadata';
import { KeyUsageFlags } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_CSR_REASON } from '../../apps/approver/src/policy';
import { challengePassword, enrollmentNameValuePair, msExtensionRequest, opensslCsrWithChallengePassword, secondExtensionRequest,
  unstructuredName } from '../approver/csr-attributes';
import { buildCsr, certificateRequest, driverCsr, spiffeIdOf, USAGES, type CsrSpec } from '../approver/fixtures';
import { CR_PATH, ensureApproverBuilt, kubeRequest, startApprover, type ApproverProcess } from '../approver/harness';
import { createAs, uniqueName, waitForDecision, type StoredRequest } from '../approver/requests';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { SecretLedger } from './secret-ledger';

// Every row breaks one thing in the request the driver would make for sandbox/app and must be
// Denied by the BUILT approver with that thing's reason (test/approver/policy.test.ts checks the
// policy function alone; this runs the process against the API, at the most verbose log level).
const ID = spiffeIdOf('sandbox', 'app');
const td = (domain: string) => `spiffe://${domain}/ns/sandbox/sa/app`;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const USAGES_REASON = `spec.usages must be exactly [${USAGES.join(', ')}]`;
const mismatch = (uri: string) => `SPIFFE ID "${uri}" does not match the requester; expected "${ID}"`;
const notSpiffe = (uri: string) => new RegExp(`^URI SAN "${uri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" is not a valid SPIFFE ID: `);
const notServiceAccount = (u: string) => `spec.username "${u}" is not a ServiceAccount (system:serviceaccount:<namespace>:<name>)`;
const INVALID_CSR = INVALID_CSR_REASON;

interface Row {
  csr?: CsrSpec | ((valid: string) => string); // default: the driver's own CSR for ID
  spec?: { duration?: string; usages?: string[]; isCA?: boolean };
  username?: string; // created by this (non-ServiceAccount) user instead of sandbox/app
  reason: string | RegExp;
}

const rows: Record<string, Row> = {
  // key types and curves
  'P-256 key': { csr: { key: 'P-256', uris: [ID] }, reason: 'key must be ECDSA P-521, got ECDSA P-256' },
  'P-384 key': { csr: { key: 'P-384', uris: [ID] }, reason: 'key must be ECDSA P-521, got ECDSA P-384' },
  'RSA 2048 key': { csr: { key: 'RSA-2048', uris: [ID] }, reason: 'key must be ECDSA P-521, got RSA 2048' },
  'Ed25519 key': { csr: { key: 'Ed25519', uris: [ID] }, reason: /^key must be ECDSA P-521, got Ed25519/ },
  // every SAN type
  'DNS SAN': { csr: { uris: [ID], dns: ['app.example'] }, reason: 'CSR must not contain DNS SANs' },
  'IPv4 SAN': { csr: { uris: [ID], ips: ['10.0.0.1'] }, reason: 'CSR must not contain IP address SANs' },
  'IPv6 SAN': { csr: { uris: [ID], ips: ['::1'] }, reason: 'CSR must not contain IP address SANs' },
  'email SAN': { csr: { uris: [ID], emails: ['app@example.org'] }, reason: 'CSR must not contain email address SANs' },
  'no URI SAN': { csr: { dns: ['app.example'] }, reason: /CSR must contain exactly one URI SAN, got 0/ },
  'two URI SANs': { csr: { uris: [ID, spiffeIdOf('sandbox', 'other')] }, reason: 'CSR must contain exactly one URI SAN, got 2' },
  // subject attributes
  'subject CN': { csr: { subject: 'CN=app', uris: [ID] }, reason: 'CSR subject must be empty, got CN' },
  'subject O': { csr: { subject: 'O=acme', uris: [ID] }, reason: 'CSR subject must be empty, got O' },
  'subject OU': { csr: { subject: 'OU=team', uris: [ID] }, reason: 'CSR subject must be empty, got OU' },
  'subject C': { csr: { subject: 'C=DE', uris: [ID] }, reason: 'CSR subject must be empty, got C' },
  'subject L': { csr: { subject: 'L=Berlin', uris: [ID] }, reason: 'CSR subject must be empty, got L' },
  // extensions and CA requests
  'basic constraints CA:false': { csr: { uris: [ID], basicConstraints: { ca: false } }, reason: 'CSR extension basic constraints (2.5.29.19) is not allowed' },
  'basic constraints CA:true': { csr: { uris: [ID], basicConstraints: { ca: true } }, reason: 'CSR extension basic constraints (2.5.29.19) is not allowed' },
  'unknown extension': { csr: { uris: [ID], extraExtensionOids: ['1.2.3.4.5'] }, reason: 'CSR extension 1.2.3.4.5 is not allowed' },
  'name constraints extension': { csr: { uris: [ID], extraExtensionOids: ['2.5.29.30'] }, reason: /^CSR extension .*2\.5\.29\.30.* is not allowed$/ },
  'keyCertSign usage': { csr: { uris: [ID], keyUsages: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign },
    reason: 'CSR key usage must only contain digitalSignature, keyEncipherment, got keyCertSign' },
  'cRLSign usage': { csr: { uris: [ID], keyUsages: KeyUsageFlags.cRLSign }, reason: /^CSR key usage must only contain digitalSignature, keyEncipherment, got cRLSign/ },
  'codeSigning EKU': { csr: { uris: [ID], extendedKeyUsages: [SERVER_AUTH, '1.3.6.1.5.5.7.3.3'] },
    reason: 'CSR extended key usage must only contain serverAuth, clientAuth, got 1.3.6.1.5.5.7.3.3' },
  'OCSPSigning EKU': { csr: { uris: [ID], extendedKeyUsages: ['1.3.6.1.5.5.7.3.9'] }, reason: /^CSR extended key usage must only contain serverAuth, clientAuth, got 1\.3\.6\.1\.5\.5\.7\.3\.9/ },
  // CSR attributes: nothing but one single-valued extensionRequest (an issuer may honour the rest)
  'challengePassword attribute': { csr: { uris: [ID], attributes: [challengePassword('hunter2hunter2')] },
    reason: 'CSR attribute challengePassword (1.2.840.113549.1.9.7) is not allowed' },
  'challengePassword attribute by openssl': { csr: () => opensslCsrWithChallengePassword(ID, 'hunter2hunter2'),
    reason: 'CSR subject must be empty, got CN; CSR attribute challengePassword (1.2.840.113549.1.9.7) is not allowed' },
  'unstructuredName attribute': { csr: { uris: [ID], attributes: [unstructuredName('evil.example')] },
    reason: 'CSR attribute unstructuredName (1.2.840.113549.1.9.2) is not allowed' },
  'Microsoft extension request with a DNS SAN': { csr: { uris: [ID], attributes: [msExtensionRequest('evil.example')] },
    reason: 'CSR attribute msExtensionRequest (1.3.6.1.4.1.311.2.1.14) is not allowed' },
  'enrollment name-value pair SAN:dns=': { csr: { uris: [ID], attributes: [enrollmentNameValuePair('SAN', 'dns=evil.example')] },
    reason: 'CSR attribute enrollmentNameValuePair (1.3.6.1.4.1.311.13.2.1) is not allowed' },
  'second extensionRequest with a DNS SAN': { csr: { uris: [ID], attributes: [secondExtensionRequest('evil.example')] },
    reason: 'CSR attribute extensionRequest (1.2.840.113549.1.9.14) appears more than once' },
  'extensionRequest with two values': { csr: { uris: [ID], extensionRequestValues: 2 },
    reason: 'CSR attribute extensionRequest (1.2.840.113549.1.9.14) must have exactly one value, got 2' },
  'spec.isCA': { spec: { isCA: true }, reason: 'spec.isCA must be false' },
  // usages and durations
  'usage cert sign added': { spec: { usages: [...USAGES, 'cert sign'] }, reason: `${USAGES_REASON}: unexpected "cert sign"` },
  'usage code signing added': { spec: { usages: [...USAGES, 'code signing'] }, reason: `${USAGES_REASON}: unexpected "code signing"` },
  'usage server auth missing': { spec: { usages: USAGES.filter((u) => u !== 'server auth') }, reason: new RegExp(`^${escape(USAGES_REASON)}: missing "server auth"`) },
  'no usages': { spec: { usages: [] }, reason: new RegExp(`^${escape(USAGES_REASON)}`) },
  'duration 2h': { spec: { duration: '2h' }, reason: 'spec.duration must be 1h0m0s, got "2h"' },
  'duration 59m': { spec: { duration: '59m' }, reason: 'spec.duration must be 1h0m0s, got "59m"' },
  'duration 1h0m1s': { spec: { duration: '1h0m1s' }, reason: 'spec.duration must be 1h0m0s, got "1h0m1s"' },
  'duration 8760h': { spec: { duration: '8760h' }, reason: 'spec.duration must be 1h0m0s, got "8760h"' },
  // trust domains and paths, including look-alikes
  'trust domain evil.org': { csr: { uris: [td('evil.org')] }, reason: 'SPIFFE ID trust domain must be "cluster.local", got "evil.org"' },
  'trust domain cluster.local.evil': { csr: { uris: [td('cluster.local.evil')] }, reason: 'SPIFFE ID trust domain must be "cluster.local", got "cluster.local.evil"' },
  'trust domain evilcluster.local': { csr: { uris: [td('evilcluster.local')] }, reason: 'SPIFFE ID trust domain must be "cluster.local", got "evilcluster.local"' },
  'trust domain sub.cluster.local': { csr: { uris: [td('sub.cluster.local')] }, reason: 'SPIFFE ID trust domain must be "cluster.local", got "sub.cluster.local"' },
  'trust domain CLUSTER.local': { csr: { uris: [td('CLUSTER.local')] }, reason: notSpiffe(td('CLUSTER.local')) },
  'trust domain with port': { csr: { uris: [td('cluster.local:443')] }, reason: notSpiffe(td('cluster.local:443')) },
  'trust domain with userinfo': { csr: { uris: [td('admin@cluster.local')] }, reason: notSpiffe(td('admin@cluster.local')) },
  'path with extra segment': { csr: { uris: [`${ID}/extra`] }, reason: mismatch(`${ID}/extra`) },
  'path with trailing slash': { csr: { uris: [`${ID}/`] }, reason: notSpiffe(`${ID}/`) },
  'path with dot segment': { csr: { uris: ['spiffe://cluster.local/ns/sandbox/sa/./app'] }, reason: notSpiffe('spiffe://cluster.local/ns/sandbox/sa/./app') },
  'path percent-encoded': { csr: { uris: ['spiffe://cluster.local/ns/sandbox/sa/%61pp'] }, reason: notSpiffe('spiffe://cluster.local/ns/sandbox/sa/%61pp') },
  'path with query': { csr: { uris: [`${ID}?admin=1`] }, reason: notSpiffe(`${ID}?admin=1`) },
  'path NS upper case': { csr: { uris: ['spiffe://cluster.local/NS/sandbox/SA/app'] }, reason: mismatch('spiffe://cluster.local/NS/sandbox/SA/app') },
  'another service account': { csr: { uris: [spiffeIdOf('sandbox', 'admin')] }, reason: mismatch(spiffeIdOf('sandbox', 'admin')) },
  'another namespace': { csr: { uris: [spiffeIdOf('kube-system', 'app')] }, reason: mismatch(spiffeIdOf('kube-system', 'app')) },
  'https scheme': { csr: { uris: ['https://cluster.local/ns/sandbox/sa/app'] }, reason: notSpiffe('https://cluster.local/ns/sandbox/sa/app') },
  // requesters that are not ServiceAccounts
  'user alice': { username: 'alice', reason: notServiceAccount('alice') },
  'node identity': { username: 'system:node:node-a', reason: notServiceAccount('system:node:node-a') },
  'SA name with extra part': { username: 'system:serviceaccount:sandbox:app:x', reason: notServiceAccount('system:serviceaccount:sandbox:app:x') },
  'SA group name': { username: 'system:serviceaccounts:sandbox', reason: notServiceAccount('system:serviceaccounts:sandbox') },
  'SA without a name': { username: 'system:serviceaccount:sandbox', reason: notServiceAccount('system:serviceaccount:sandbox') },
  // malformed PEM and tampered signatures (a truncated PEM or a CERTIFICATE block never gets this
  // far: cert-manager's webhook refuses to store it; policy.test.ts covers the approver's answer)
  'tampered signature': { csr: { uris: [ID], corruptSignature: true }, reason: 'CSR signature does not verify' },
  'PEM body not base64': { csr: () => '-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n', reason: INVALID_CSR },
  'two CSR blocks': { csr: (valid) => valid + valid, reason: INVALID_CSR },
  'CSR body bytes flipped': { csr: (valid) => valid.replace(/\n(.{10})/, '\nAAAAAAAAAA'), reason: new RegExp(`^(${escape(INVALID_CSR_REASON)}|CSR signature does not verify)$`) },
};

const valid: Record<string, Row['spec'] & { csr?: CsrSpec }> = {
  'as the driver sends it': {},
  'usages in another order': { usages: [...USAGES].reverse() },
  'usages shuffled': { usages: [USAGES[2], USAGES[0], USAGES[3], USAGES[1]] },
  'duration 60m': { duration: '60m' },
  'duration 3600s': { duration: '3600s' },
  'duration 1h0m0s': { duration: '1h0m0s' },
  'permitted key usage and EKU extensions': { csr: { uris: [ID], keyUsages: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment,
    extendedKeyUsages: [SERVER_AUTH, CLIENT_AUTH] } },
};

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let sim: KubeSim;
let approver: ApproverProcess;
let driverCsrPem: string;
const ledger = new SecretLedger();

beforeAll(async () => {
  ensureApproverBuilt();
  sim = await startKubeSim();
  approver = await startApprover(sim, ['--log-level=10']);
  driverCsrPem = await driverCsr(ID);
}, 240_000);

afterAll(async () => {
  await approver?.stop('SIGKILL');
  await sim?.close();
});

async function csrFor(row: { csr?: Row['csr'] }): Promise<string> {
  if (row.csr === undefined) return driverCsrPem;
  return typeof row.csr === 'function' ? row.csr(driverCsrPem) : buildCsr(row.csr);
}

/** Creates the request as sandbox/app, or as a non-ServiceAccount user (the webhook records who). */
async function create(csrPem: string, spec: Row['spec'] = {}, username?: string): Promise<StoredRequest> {
  ledger.addCsr(csrPem);
  if (!username) return createAs(sim, 'app', { csrPem, ...spec });
  const token = `user-token-${uniqueName()}-${'x'.repeat(16)}`;
  sim.addUser(token, { username });
  const body = certificateRequest({ csrPem, ...spec, name: uniqueName(), namespace: 'sandbox' });
  const res = await kubeRequest<StoredRequest>(sim, token, 'POST', CR_PATH('sandbox'), body);
  expect(res.status).toBe(201);
  expect(res.body.spec.username).toBe(username);
  return res.body;
}

describe(`hostile CertificateRequests through the built approver (${Object.keys(rows).length} rows)`, () => {
  it('has at least 40 hostile rows', () => {
    expect(Object.keys(rows).length).toBeGreaterThanOrEqual(40);
  });

  it.each(Object.entries(rows))('denies %s', async (_name, row) => {
    const cr = await create(await csrFor(row), row.spec, row.username);
    const decision = await waitForDecision(sim, cr);
    expect(decision).toMatchObject({ type: 'Denied', status: 'True', reason: 'spiffe.csi.cert-manager.io' });
    const reason = decision.message!.replace(/^Denied request: /, '');
    if (typeof row.reason === 'string') expect(reason).toBe(row.reason);
    else expect(reason).toMatch(row.reason);
  });

  it.each(Object.entries(valid))('approves the valid variant: %s', async (_name, variant) => {
    const { csr, ...spec } = variant;
    const cr = await create(await csrFor({ csr }), spec);
    expect(await waitForDecision(sim, cr)).toMatchObject({ type: 'Approved', status: 'True' });
  });

  it('logged no CSR body, key or token at -v=10', () => {
    expect(approver.logs.length).toBeGreaterThan(Object.keys(rows).length);
    expect(ledger.leaksIn([{ name: 'approver', logs: approver.logs, stderr: approver.stderr }])).toEqual([]);
    expect(JSON.stringify(approver.logs)).not.toContain('hunter2hunter2'); // the challengePassword rows
  });
});
