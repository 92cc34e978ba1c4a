// The built approver against the real kube-apiserver, with the chart's RBAC and its own
// ServiceAccount token; requests are created with real ServiceAccount tokens, so spec.username
// comes from the apiserver's authentication through the webhook stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsr, certificateRequest, driverCsr, spiffeIdOf } from '../approver/fixtures';
import { eventually } from '../approver/harness';
import { grantWorkload } from './chart-rbac';
import { SKIP_REASON, startRealStack, TRUST_DOMAIN, uniqueNamespace, type RealStack } from './stack';

type Condition = { type: string; status: string; reason?: string; message?: string };
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
  async function createAs(serviceAccount: string, csrPem: string): Promise<Stored> {
    const token = await stack.cluster.serviceAccountToken(ns, serviceAccount);
    const cr = certificateRequest({ csrPem, namespace: ns, name: `req-${++counter}`, issuerRef: { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } });
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
