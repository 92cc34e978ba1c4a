import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index';
import { PlainKubeClient } from './kube-client';
import { approvedCondition, certificateRequest, CR_PATH, spiffeCsr } from './test-support';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let sim: KubeSim;
let admin: PlainKubeClient;
let csr: string;
const as = (token: string) => new PlainKubeClient({ url: sim.url, token });
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

beforeAll(async () => {
  sim = await startKubeSim();
  admin = as(sim.adminToken);
  csr = await spiffeCsr();
});
afterAll(async () => {
  admin.close();
  await sim.close();
});

describe('authentication', () => {
  it('answers 401 Unauthorized Status without a token, with an unknown token, or with a tampered JWT', async () => {
    for (const token of ['', 'nope', sim.serviceAccountToken('a', 'b').slice(0, -4) + 'AAAA']) {
      const client = as(token);
      const res = await client.request<Obj>('GET', '/api/v1/namespaces');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      client.close();
    }
  });

  it('lets health probes through without a token', async () => {
    const client = as('');
    expect((await client.request('GET', '/readyz')).status).toBe(200);
    client.close();
  });

  it('rejects an expired ServiceAccount token, a token for another audience and one whose SA was recreated', async () => {
    const expired = sim.serviceAccountToken('sandbox', 'old', { expirationSeconds: -1 });
    const otherAudience = sim.serviceAccountToken('sandbox', 'app', { audience: 'vault' });
    const recreated = sim.serviceAccountToken('sandbox', 'temp');
    await admin.request('DELETE', '/api/v1/namespaces/sandbox/serviceaccounts/temp');
    await admin.request('POST', '/api/v1/namespaces/sandbox/serviceaccounts', { metadata: { name: 'temp' } });
    for (const token of [expired, otherAudience, recreated]) {
      const client = as(token);
      expect((await client.request('GET', '/api/v1/namespaces')).status).toBe(401);
      client.close();
    }
  });

  it('addUser() tokens authenticate as that user', async () => {
    sim.addUser('t-alice', { username: 'alice', groups: ['devs'], uid: 'u-1' });
    const alice = as('t-alice');
    await alice.request('GET', '/api/v1/namespaces');
    expect(sim.requests.at(-1)).toMatchObject({ user: 'alice', status: 200 });
    alice.close();
  });
});

describe('ServiceAccount tokens', () => {
  it('carry projected-token claims and the SA uid from the store', () => {
    const token = sim.serviceAccountToken('sandbox', 'app', { podName: 'pod-1', podUid: 'pod-uid-1', expirationSeconds: 600 });
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    expect(header.alg).toBe('RS256');
    const c = claimsOf(token);
    const sa = sim.store.get('serviceaccounts', 'sandbox', 'app')!;
    expect(c).toMatchObject({
      iss: 'https://kubernetes.default.svc.cluster.local', aud: ['https://kubernetes.default.svc.cluster.local'],
      sub: 'system:serviceaccount:sandbox:app',
      'kubernetes.io': { namespace: 'sandbox', serviceaccount: { name: 'app', uid: sa.metadata.uid }, pod: { name: 'pod-1', uid: 'pod-uid-1' } },
    });
    expect(c.exp - c.iat).toBe(600);
    expect(c.nbf).toBe(c.iat);
  });
});

describe('cert-manager webhook', () => {
  it('overwrites spec.username/uid/groups/extra with the requester, whatever the client sent', async () => {
    const token = sim.serviceAccountToken('sandbox', 'app', { podName: 'pod-1', podUid: 'pod-uid-1' });
    const client = as(token);
    const forged = certificateRequest('mine', csr, { username: 'system:serviceaccount:kube-system:admin', groups: ['system:masters'], uid: 'forged' });
    const res = await client.request<Obj>('POST', CR_PATH('sandbox'), forged);
    expect(res.status).toBe(201);
    const sa = sim.store.get('serviceaccounts', 'sandbox', 'app')!;
    expect(res.body.spec.username).toBe('system:serviceaccount:sandbox:app');
    expect(res.body.spec.uid).toBe(sa.metadata.uid);
    expect(res.body.spec.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:sandbox', 'system:authenticated']);
    expect(res.body.spec.extra['authentication.kubernetes.io/pod-name']).toEqual(['pod-1']);
    expect(res.body.spec.extra['authentication.kubernetes.io/credential-id'][0]).toBe(`JTI=${claimsOf(token).jti}`);
    client.close();
  });

  it('keeps identity fields on update and refuses other spec changes', async () => {
    const created = (await admin.request<Obj>('POST', CR_PATH('hooks'), certificateRequest('upd', csr))).body;
    expect(created.spec.username).toBe('kube-admin');
    expect(created.spec.uid).toBeUndefined();
    const identityChange = { ...created, spec: { ...created.spec, username: 'mallory' } };
    const kept = await admin.request<Obj>('PUT', CR_PATH('hooks', 'upd'), identityChange);
    expect(kept.status).toBe(200);
    expect(kept.body.spec.username).toBe('kube-admin');
    const specChange = { ...created, spec: { ...created.spec, isCA: true } };
    const refused = await admin.request<Obj>('PUT', CR_PATH('hooks', 'upd'), specChange);
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('cannot change spec after creation');
  });

  it('validates spec.request and spec.issuerRef.name with 422 Invalid', async () => {
    const noRequest = await admin.request<Obj>('POST', CR_PATH('hooks'), certificateRequest('bad1', ''));
    expect(noRequest.status).toBe(422);
    expect(noRequest.body).toMatchObject({ reason: 'Invalid', details: { kind: 'CertificateRequest', causes: [{ field: 'spec.request' }] } });
    const notCsr = await admin.request<Obj>('POST', CR_PATH('hooks'), certificateRequest('bad2', Buffer.from('hello').toString('base64')));
    expect(notCsr.status).toBe(422);
    const noIssuer = await admin.request<Obj>('POST', CR_PATH('hooks'), certificateRequest('bad3', csr, { issuerRef: { name: '' } }));
    expect(noIssuer.status).toBe(422);
    expect(noIssuer.body.message).toContain('spec.issuerRef.name');
    expect(sim.store.get('certificaterequests', 'hooks', 'bad3')).toBeUndefined();
  });

  it('makes the Approved condition immutable and exclusive with Denied', async () => {
    const created = (await admin.request<Obj>('POST', CR_PATH('hooks'), certificateRequest('appr', csr))).body;
    const approved = approvedCondition();
    const first = await admin.request<Obj>('PUT', `${CR_PATH('hooks', 'appr')}/status`, { ...created, status: { conditions: [approved] } });
    expect(first.status).toBe(200);
    const flip = { ...first.body, status: { conditions: [{ ...approved, type: 'Denied', reason: 'x' }] } };
    expect((await admin.request('PUT', `${CR_PATH('hooks', 'appr')}/status`, flip)).status).toBe(422);
    const both = { ...first.body, status: { conditions: [approved, { ...approved, type: 'Denied' }] } };
    expect((await admin.request('PUT', `${CR_PATH('hooks', 'appr')}/status`, both)).status).toBe(422);
  });

  it('conflictNextStatusWrites(n) fails the next n /status writes with 409 even at the current resourceVersion', async () => {
    const created = (await admin.request<Obj>('POST', CR_PATH('hooks'), certificateRequest('conf', csr))).body;
    sim.faults.conflictNextStatusWrites(2);
    const write = { ...created, status: { conditions: [approvedCondition()] } };
    const path = `${CR_PATH('hooks', 'conf')}/status`;
    expect((await admin.request('PUT', path, write)).status).toBe(409);
    expect((await admin.request('PUT', path, write)).status).toBe(409);
    expect((await admin.request('PUT', path, write)).status).toBe(200);
  });
});
