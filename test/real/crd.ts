// Both real tiers install cert-manager's CertificateRequest CRD and wait until the API server
// serves its status subresource (a CRD is accepted before its endpoints exist).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import type { Manifest, RealCluster } from './cluster';

export async function installCertificateRequestCrd(cluster: RealCluster): Promise<void> {
  const crd = parse(readFileSync(join(__dirname, 'fixtures/certificaterequest-crd.yaml'), 'utf8')) as Manifest;
  await cluster.apply(crd);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await cluster.admin.request<{ resources?: { name: string }[] }>('GET', '/apis/cert-manager.io/v1');
    if (res.status === 200 && res.body.resources?.some((r) => r.name === 'certificaterequests/status')) return;
    await sleep(200);
  }
  throw new Error('the CertificateRequest CRD was not served in 30s');
}
