// The built approver against the real kube-apiserver, with the chart's RBAC and its own
// ServiceAccount token; requests are created with real ServiceAccount tokens, so spec.username
// comes from the apiserver's authentication through the webhook stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengePassword, enrollmentNameValuePair, msExtensionRequest } from '../approver/csr-attributes';
import { buildCsr, certificateRequest, driverCsr, spiffeIdOf } from '../approver/fixtures';
import { applyChartRbac, grantWorkload } from './chart-rbac';
import { SKIP_REASON, startRealStack, TRUST_DOMAIN, uniqueNamespace, type RealStack } from './stack';
import { eventually } from '../support/eventually';

type Condition = { type: string; status: string; reason?: string; message?: string };
type IssuerRef = { name: string; kind: string; group: string };
type Stored = { metadata: { name: string; namespace: string }; spec: { username?: string; uid?: string; groups?: string[] };
  status?: { conditions?: Condition[]; certificate?: string } };

const crPath = (ns: string, name = '') => `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests${name ? `/${name}` : ''}`;
let counter = 0;

describe.skipIf(SKIP_REASON !== '')(`approver on a real kube-apiserver${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  let stack: RealStack;
  const ns = uniqueNamespace('approver');

  beforeAll(async () => {
    stack = await startRealStack({ approvers: 2, driverArgs: [] });
    await grantWorkload(stack.cluster, ns, 'app');
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** Creates a request with the ServiceAccount's own token, as the driver does for a Pod. */
  async function createAs(serviceAccount: string, csrPem: string,
    issuerRef: IssuerRef = { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' }): Promise<Stored> {
    const token = await stack.cluster.serviceAccountToken(ns, serviceAccount);
    const cr = certificateRequest({ csrPem, namespace: ns, name: `req-${++counter}`, issuerRef });
    delete (cr.spec as { username?: string }).username; // the webhook sets it; clients cannot
    return stack.cluster.must<Stored>('POST', crPath(ns), cr, [201], stack.cluster.as(token));
  }
  const decision = (cr: Stored) => eventually(async () => {
    const now = await stack.cluster.must<Stored>('GET', crPath(ns, cr.metadata.name));
    return now.status?.conditions?.find((c) => c.type === 'Approved' || c.type === 'Denied') ? now : undefined;
  }, 30_000);

  it('stamps the real ServiceAccount identity, approves a matching request, and the issuer signs it', async () => {
    const created = await createAs('app', await driverCsr(spiffeIdOf(ns, 'app', TRUST_DOMAIN)));
    expect(created.spec.username).toBe(`system:serviceaccount:${ns}:app`);
    expect(created.spec.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.spec.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`]));
    const decided = await decision(created);
    expect(decided.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Approved', status: 'True' }));
    const issued = await eventually(async () => (await stack.cluster.must<Stored>('GET', crPath(ns, created.metadata.name))).status?.certificate, 20_000);
    expect(Buffer.from(issued, 'base64').toString()).toContain('BEGIN CERTIFICATE');
  });

  it('denies a request whose SPIFFE ID is another ServiceAccount\'s, naming the real username', async () => {
    await grantWorkload(stack.cluster, ns, 'impostor');
    const created = await createAs('impostor', await driverCsr(spiffeIdOf(ns, 'app', TRUST_DOMAIN)));
    const decided = await decision(created);
    const denied = decided.status?.conditions?.find((c) => c.type === 'Denied');
    expect(denied?.status).toBe('True');
    expect(`${denied?.message}`).toContain(spiffeIdOf(ns, 'impostor', TRUST_DOMAIN));
  });

  it('denies a CSR with extra SANs made by a hostile client', async () => {
    const created = await createAs('app', await buildCsr({ uris: [spiffeIdOf(ns, 'app', TRUST_DOMAIN)], dns: ['evil.example.com'] }));
    const decided = await decision(created);
    expect(decided.status?.conditions?.find((c) => c.type === 'Denied')?.status).toBe('True');
  });

  it('denies CSR attributes an enterprise CA might turn into names, naming each one', async () => {
    const id = spiffeIdOf(ns, 'app', TRUST_DOMAIN);
    const attributes = [challengePassword('hunter2hunter2'), msExtensionRequest('evil.example'), enrollmentNameValuePair('SAN', 'dns=evil.example')];
    const decided = await decision(await createAs('app', await buildCsr({ uris: [id], attributes })));
    expect(decided.status?.conditions?.find((c) => c.type === 'Denied')).toMatchObject({ status: 'True',
      message: 'Denied request: CSR attribute challengePassword (1.2.840.113549.1.9.7) is not allowed; '
        + 'CSR attribute msExtensionRequest (1.3.6.1.4.1.311.2.1.14) is not allowed; '
        + 'CSR attribute enrollmentNameValuePair (1.3.6.1.4.1.311.13.2.1) is not allowed' });
  });

  /** Sets Denied on a request as `token`, the write cert-manager guards with `approve` on the signer. */
  async function decideAs(token: string, cr: Stored): Promise<number> {
    const denied = { ...cr, status: { conditions: [{ type: 'Denied', status: 'True', reason: 'Test', message: 'test' }] } };
    return (await stack.cluster.as(token).request('PUT', `${crPath(ns, cr.metadata.name)}/status`, denied)).status;
  }
  const hostileCsr = () => driverCsr('spiffe://other.example/ns/x/sa/y');

  it('the chart\'s approver may decide only for its configured ClusterIssuer\'s signer', async () => {
    const token = await stack.cluster.serviceAccountToken(stack.rbac.namespace, stack.rbac.approverServiceAccount);
    const other = await createAs('app', await hostileCsr(), { name: 'other-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(await decideAs(token, other)).toBe(403);
    const issuer = await createAs('app', await hostileCsr(), { name: 'spiffe-ca', kind: 'Issuer', group: 'cert-manager.io' });
    expect(await decideAs(token, issuer)).toBe(403);
  });

  it('with app.issuer.kind=Issuer the chart\'s approver may decide Issuer requests in any namespace, nothing else', async () => {
    // A namespaced Issuer's signer name carries the request's namespace: rendered for the release
    // namespace it would never match a workload namespace such as `ns`.
    const rbac = await applyChartRbac(stack.cluster, uniqueNamespace('issuer-kind'),
      { set: { nameOverride: 'spiffe-issuer-kind', 'app.issuer.kind': 'Issuer' } });
    const token = await stack.cluster.serviceAccountToken(rbac.namespace, rbac.approverServiceAccount);
    const issuer = await createAs('app', await hostileCsr(), { name: 'spiffe-ca', kind: 'Issuer', group: 'cert-manager.io' });
    expect(await decideAs(token, issuer)).toBe(200);
    // (not spiffe-ca: the stack's own approvers decide that one and would race this write)
    const clusterIssuer = await createAs('app', await hostileCsr(), { name: 'other-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(await decideAs(token, clusterIssuer)).toBe(403);
  });

  it('the workload\'s ServiceAccount cannot approve its own request (no `approve` on signers)', async () => {
    const created = await createAs('app', await driverCsr('spiffe://other.example/ns/x/sa/y'));
    const token = await stack.cluster.serviceAccountToken(ns, 'app');
    const approved = { ...created, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Self', message: 'self' }] } };
    const attempt = await stack.cluster.as(token).request('PUT', `${crPath(ns, created.metadata.name)}/status`, approved);
    expect(attempt.status).toBe(403); // RBAC: the Role grants create only
  });

  it('leader election on a real Lease: one approver leads; SIGKILL it and the other decides', async () => {
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${stack.rbac.namespace}/leases/${stack.rbac.leaseName}`;
    const holderOf = async () => (await stack.cluster.must<{ spec: { holderIdentity?: string } }>('GET', leasePath)).spec.holderIdentity;
    const identityOf = (a: RealStack['approvers'][number]) => a.logs.find((l) => l.msg === 'became leader; deciding pending requests')?.identity;
    const leader = await eventually(() => stack.approvers.find((a) => identityOf(a) !== undefined), 20_000);
    expect(await holderOf()).toBe(identityOf(leader));
    expect(stack.approvers.filter((a) => identityOf(a) !== undefined)).toHaveLength(1);

    await leader.stop('SIGKILL');
    const created = await createAs('app', await driverCsr(spiffeIdOf(ns, 'app', TRUST_DOMAIN)));
    const decided = await decision(created);
    expect(decided.status?.conditions?.find((c) => c.type === 'Approved')?.status).toBe('True');
    const follower = stack.approvers.find((a) => a !== leader)!;
    expect(identityOf(follower)).toBeDefined();
    expect(await holderOf()).toBe(identityOf(follower));
  }, 60_000);

  it('no API call of the apps was refused: the chart grants everything they use', () => {
    expect(stack.rbacRefusals()).toEqual([]);
  });
});
