import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaIssuerSim, type CaIssuerSim } from './ca-issuer';
import { startKubeSim, type KubeSim } from './index';
import { PlainKubeClient } from './kube-client';
import { approvedCondition, certificateRequest, CR_PATH, spiffeCsr } from './test-support';
import { x509 } from './x509-util';
import { eventually } from '../support/eventually';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let sim: KubeSim;
let issuer: CaIssuerSim;
let kube: PlainKubeClient;
let dir: string;
const NS = 'issue';

beforeAll(async () => {
  sim = await startKubeSim({ tls: true });
  kube = new PlainKubeClient({ url: sim.url, token: sim.adminToken, caPem: sim.caPem });
  issuer = await startCaIssuerSim({ url: sim.url, token: sim.adminToken, caPem: sim.caPem, issuerName: 'spiffe-ca' });
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-ca-test-'));
});
afterAll(async () => {
  await issuer.stop();
  kube.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function submit(name: string, decision: 'Approved' | 'Denied' | 'none', uri = `spiffe://cluster.local/ns/${NS}/sa/${name}`, overrides = {}): Promise<void> {
  const created = (await kube.request<Obj>('POST', CR_PATH(NS), certificateRequest(name, await spiffeCsr(uri), overrides))).body;
  if (decision === 'none') return;
  const cond = { ...approvedCondition(), type: decision, message: `${decision} request` };
  const res = await kube.request('PUT', `${CR_PATH(NS, name)}/status`, { ...created, status: { conditions: [cond] } });
  expect(res.status).toBe(200);
}

const ready = (name: string) =>
  eventually(() => {
    const cr = sim.store.get('certificaterequests', NS, name) as Obj | undefined;
    return cr?.status?.conditions?.find((c: Obj) => c.type === 'Ready') ? cr : undefined;
  });

const readyCondition = (cr: Obj) => cr.status.conditions.find((c: Obj) => c.type === 'Ready');

describe('CA issuer simulator', () => {
  it('signs an approved request: chain verifies with openssl, URI SAN copied (critical), usages applied', async () => {
    const uri = `spiffe://cluster.local/ns/${NS}/sa/signed`;
    await submit('signed', 'Approved', uri);
    const cr = await ready('signed');
    expect(readyCondition(cr)).toMatchObject({ status: 'True', reason: 'Issued' });
    const leafPem = Buffer.from(cr.status.certificate, 'base64').toString();
    const caPem = Buffer.from(cr.status.ca, 'base64').toString();
    expect(caPem).toBe(issuer.caPem);
    writeFileSync(join(dir, 'ca.pem'), caPem);
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')]).toString();
    expect(out).toContain('OK');

    const leaf = new x509.X509Certificate(leafPem);
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.critical).toBe(true);
    expect(san.names.items.map((n) => [n.type, n.value])).toEqual([['url', uri]]);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(false);
    const ku = leaf.getExtension(x509.KeyUsagesExtension)!.usages;
    expect(ku).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(3_600_000); // spec.duration 1h
  });

  it('leaves unapproved requests and other issuers alone', async () => {
    await submit('waiting', 'none');
    await submit('elsewhere', 'Approved', undefined, { issuerRef: { name: 'other', kind: 'ClusterIssuer', group: 'cert-manager.io' } });
    await submit('after', 'Approved');
    await ready('after');
    expect(sim.store.get('certificaterequests', NS, 'waiting')!.status).toBeUndefined();
    expect((sim.store.get('certificaterequests', NS, 'elsewhere') as Obj).status.conditions).toHaveLength(1);
  });

  it('marks denied requests Ready=False/Denied with a failureTime', async () => {
    await submit('denied', 'Denied');
    const cr = await ready('denied');
    expect(readyCondition(cr)).toMatchObject({ status: 'False', reason: 'Denied' });
    expect(cr.status.failureTime).toBeDefined();
    expect(cr.status.certificate).toBeUndefined();
  });

  it('counts an issuance by the time its status is stored (what a watcher can see first)', async () => {
    // The store listener runs as the write is applied, before the PUT's response is sent: a count
    // taken after reading that response would still be 0 here.
    const seen: number[] = [];
    const unsubscribe = sim.store.onCommit('certificaterequests', (object) => {
      const cr = object as Obj;
      if (cr.metadata.name === 'counted' && cr.status?.conditions?.some((c: Obj) => c.reason === 'Issued')) {
        seen.push(issuer.stats().issued);
      }
    });
    try {
      const before = issuer.stats().issued;
      await submit('counted', 'Approved');
      await ready('counted');
      expect(seen).toEqual([before + 1]);
    } finally {
      unsubscribe();
    }
  });

  it("mode 'fail' reports Ready=False/Failed 'simulated issuer failure'", async () => {
    issuer.setMode('fail');
    try {
      await submit('failing', 'Approved');
      const cr = await ready('failing');
      expect(readyCondition(cr)).toMatchObject({ status: 'False', reason: 'Failed', message: 'simulated issuer failure' });
      expect(cr.status.failureTime).toBeDefined();
    } finally {
      issuer.setMode('sign');
    }
  });

  it("mode 'ignore' writes nothing; the delay holds the write back", async () => {
    issuer.setMode('ignore');
    await submit('ignored', 'Approved');
    await new Promise((r) => setTimeout(r, 300));
    expect((sim.store.get('certificaterequests', NS, 'ignored') as Obj).status.conditions).toHaveLength(1);
    issuer.setMode('sign');

    issuer.setDelay(400);
    try {
      const started = Date.now();
      await submit('slow', 'Approved');
      await ready('slow');
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    } finally {
      issuer.setDelay(0);
    }
  });

  it('setCertDuration overrides spec.duration; conflicting status writes are retried', async () => {
    issuer.setCertDuration(120_000);
    issuer.setDelay(500); // long enough for the test to arm the conflicts before the issuer writes
    try {
      await submit('short', 'Approved');
      sim.faults.conflictNextStatusWrites(2); // the issuer's first two writes hit 409
      const done = await ready('short');
      const leaf = new x509.X509Certificate(Buffer.from(done.status.certificate, 'base64').toString());
      expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(120_000);
      const writes = sim.requests.filter((r) => r.method === 'PUT' && r.path === `${CR_PATH(NS, 'short')}/status`);
      expect(writes.map((w) => w.status)).toEqual([200, 409, 409, 200]); // approval, then the issuer's tries
    } finally {
      issuer.setCertDuration(undefined);
      issuer.setDelay(0);
    }
  });

  it('keeps issuing after the API server goes down and comes back, and after a compaction', async () => {
    await sim.faults.goDown();
    await new Promise((r) => setTimeout(r, 100));
    await sim.faults.comeUp();
    sim.faults.compact();
    sim.faults.dropWatches();
    await submit('after-outage', 'Approved');
    expect(readyCondition(await ready('after-outage'))).toMatchObject({ status: 'True', reason: 'Issued' });
    expect(issuer.stats().issued).toBeGreaterThanOrEqual(4);
  });
});
