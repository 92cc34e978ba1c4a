import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsr, certificateRequest, spiffeIdOf } from '../approver/fixtures';
import { CR_PATH, ensureApproverBuilt, kubeRequest, startApprover, type ApproverProcess } from '../approver/harness';
import { uniqueName, waitForDecision, type StoredRequest } from '../approver/requests';
import { startKubeSim, type KubeSim } from '../kube-sim';

// The BUILT approver with both parity modes (--use-own-service-account with the driver's username,
// --auto-approve-non-spiffe), against the API: requests made by the driver's ServiceAccount, by a
// workload, and by anyone for another issuer. CSRs come from @peculiar/x509, not our crypto lib.
const DRIVER = { namespace: 'cert-manager', serviceAccount: 'cert-manager-csi-driver-spiffe' };
const DRIVER_SA = `system:serviceaccount:${DRIVER.namespace}:${DRIVER.serviceAccount}`;
const OTHER_ISSUER = { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' };
const OUR_ISSUER = { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };

interface Row {
  by: { namespace: string; serviceAccount: string };
  uris?: string[];
  dns?: string[];
  issuerRef: typeof OUR_ISSUER;
  spiffe: boolean; // carries the driver's identity annotation (a SPIFFE request)
  expected: { type: 'Approved' | 'Denied'; message: string };
}

const rows: Record<string, Row> = {
  "the driver's request for a Pod's ID (control)": {
    by: DRIVER, uris: [spiffeIdOf('sandbox', 'app')], issuerRef: OUR_ISSUER, spiffe: true,
    expected: { type: 'Approved', message: 'Approved request' },
  },
  "the driver's SA asking for an ID outside the trust domain": {
    by: DRIVER, uris: [spiffeIdOf('sandbox', 'app', 'evil.example')], issuerRef: OUR_ISSUER, spiffe: true,
    expected: { type: 'Denied', message: 'Denied request: SPIFFE ID trust domain must be "cluster.local", got "evil.example"' },
  },
  "the driver's SA asking for another namespace's ID than the request's": {
    by: DRIVER, uris: [spiffeIdOf('kube-system', 'admin')], issuerRef: OUR_ISSUER, spiffe: true,
    expected: { type: 'Denied', message: 'Denied request: SPIFFE ID namespace "kube-system" is not the request\'s namespace "sandbox"' },
  },
  'a workload asking for its own ID directly (only the driver may)': {
    by: { namespace: 'sandbox', serviceAccount: 'app' }, uris: [spiffeIdOf('sandbox', 'app')], issuerRef: OUR_ISSUER, spiffe: true,
    expected: { type: 'Denied', message: `Denied request: spec.username "system:serviceaccount:sandbox:app" is not the driver's ServiceAccount "${DRIVER_SA}"` },
  },
  'a non-SPIFFE request for another issuer smuggling a spiffe URI': {
    by: { namespace: 'sandbox', serviceAccount: 'web' }, uris: ['https://www.example.com/', spiffeIdOf('kube-system', 'admin')], dns: ['www.example.com'],
    issuerRef: OTHER_ISSUER, spiffe: false,
    expected: { type: 'Denied', message: 'Denied request: non-SPIFFE certificate request contains SPIFFE URI SAN' },
  },
  'a plain request for our SPIFFE issuer': {
    by: { namespace: 'sandbox', serviceAccount: 'web' }, dns: ['www.example.com'], issuerRef: OUR_ISSUER, spiffe: false,
    expected: { type: 'Denied', message: 'Denied request: non-SPIFFE certificate targeting configured SPIFFE issuer' },
  },
  'a plain request for another issuer (approved, as cert-manager would)': {
    by: { namespace: 'sandbox', serviceAccount: 'web' }, dns: ['www.example.com'], issuerRef: OTHER_ISSUER, spiffe: false,
    expected: { type: 'Approved', message: 'Approved request' },
  },
};

describe('the built approver with --use-own-service-account and --auto-approve-non-spiffe', () => {
  let sim: KubeSim;
  let approver: ApproverProcess;
  beforeAll(async () => {
    ensureApproverBuilt();
    sim = await startKubeSim();
    approver = await startApprover(sim, ['--use-own-service-account', `--driver-service-account=${DRIVER_SA}`, '--auto-approve-non-spiffe']);
  }, 120_000);
  afterAll(async () => {
    await approver?.stop();
    await sim?.close();
  });

  it.each(Object.entries(rows))('%s', async (_name, row) => {
    const csrPem = await buildCsr({ key: row.spiffe ? 'P-521' : 'P-256', uris: row.uris, dns: row.dns });
    const cr = certificateRequest({ csrPem, name: uniqueName('parity'), issuerRef: row.issuerRef });
    const body = row.spiffe ? { ...cr, metadata: { ...cr.metadata, annotations: { 'spiffe.csi.cert-manager.io/identity': row.uris?.[0] ?? '' } } } : cr;
    const token = sim.serviceAccountToken(row.by.namespace, row.by.serviceAccount);
    const created = await kubeRequest<StoredRequest>(sim, token, 'POST', CR_PATH('sandbox'), body);
    expect(created.status).toBe(201);
    const decision = await waitForDecision(sim, created.body);
    expect({ type: decision.type, reason: decision.reason, message: decision.message })
      .toEqual({ ...row.expected, reason: 'spiffe.csi.cert-manager.io' });
  });
});
