// The real server's answers that kube-sim was corrected to match (see SIMULATOR-DIFFERENCES.md),
// and the documented leniencies, asserted against the real thing so a new apiserver version that
// changes them shows up here first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateRequest, driverCsr } from '../approver/fixtures';
import type { RealCluster } from './cluster';
import { connectCluster, SKIP_REASON, uniqueNamespace } from './stack';
import { eventually } from '../support/eventually';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const CRS = (ns: string) => `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests`;

describe.skipIf(SKIP_REASON !== '')(`kube-sim's model of the real kube-apiserver${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  let cluster: RealCluster;
  const ns = uniqueNamespace('conformance');
  beforeAll(async () => {
    cluster = connectCluster();
    await cluster.ensureNamespace(ns);
  });
  afterAll(() => cluster?.close());

  it('DELETE of a ConfigMap or CertificateRequest answers a Success Status, not the object', async () => {
    const cm = await cluster.must<Obj>('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'gone' } });
    const del = await cluster.must<Obj>('DELETE', `/api/v1/namespaces/${ns}/configmaps/gone`);
    expect(del).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone', kind: 'configmaps', uid: cm.metadata.uid } });
    await cluster.must('POST', CRS(ns), certificateRequest({ csrPem: await driverCsr('spiffe://x/ns/a/sa/b'), namespace: ns, name: 'cr-gone' }));
    expect(await cluster.must<Obj>('DELETE', `${CRS(ns)}/cr-gone`)).toMatchObject({
      kind: 'Status', status: 'Success', details: { name: 'cr-gone', group: 'cert-manager.io', kind: 'certificaterequests' } });
  });

  it('names custom resources "<plural>.<group>" in Invalid messages', async () => {
    const created = await cluster.must<Obj>('POST', CRS(ns), certificateRequest({ csrPem: await driverCsr('spiffe://x/ns/a/sa/b'), namespace: ns, name: 'unconditional' }));
    delete created.metadata.resourceVersion;
    const res = await cluster.admin.request<Obj>('PUT', `${CRS(ns)}/unconditional`, created);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('certificaterequests.cert-manager.io "unconditional" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
  });

  it('rejects a core Event whose involvedObject lives in another namespace', async () => {
    const res = await cluster.admin.request<Obj>('POST', `/api/v1/namespaces/${ns}/events`,
      { metadata: { name: 'elsewhere' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' }, reason: 'R', message: 'm' });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Event "elsewhere" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
  });

  it('documented leniencies of kube-sim hold here: missing namespace → 404, Pod of a missing ServiceAccount → 403', async () => {
    const missing = uniqueNamespace('missing');
    const cm = await cluster.admin.request<Obj>('POST', `/api/v1/namespaces/${missing}/configmaps`, { metadata: { name: 'x' } });
    expect(cm.status).toBe(404);
    expect(cm.body.message).toBe(`namespaces "${missing}" not found`);
    const pod = await cluster.admin.request<Obj>('POST', `/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: 'p' }, spec: { serviceAccountName: 'nosuch', automountServiceAccountToken: false, containers: [{ name: 'a', image: 'x' }] } });
    expect(pod.status).toBe(403);
    expect(pod.body.message).toMatch(/error looking up service account .*nosuch/);
  });

  it('a Pod-bound token stops working once its Pod is deleted', async () => {
    await cluster.createServiceAccount(ns, 'bound');
    const pod = await cluster.createPod(ns, 'bound-pod', 'bound');
    const token = await cluster.serviceAccountToken(ns, 'bound', { pod });
    const asPod = cluster.as(token);
    expect((await asPod.request('GET', `/api/v1/namespaces/${ns}/configmaps`)).status).toBe(403); // authenticated, not allowed
    await cluster.must('DELETE', `/api/v1/namespaces/${ns}/pods/bound-pod`);
    // The apiserver caches token authentication results for 10 s, so the refusal lags that long.
    const status = await eventually(async () => {
      const now = (await asPod.request('GET', `/api/v1/namespaces/${ns}/configmaps`)).status;
      return now === 401 ? now : undefined;
    }, 20_000).catch(() => 'still accepted');
    expect(status).toBe(401);
  });
});
