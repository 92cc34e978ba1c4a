// The Workload API's trust bundle with --source-ca-bundle: served instead of status.ca, pushed to
// open streams when the mounted bundle changes, and never served beside an SVID it does not verify.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitDer, WorkloadClient } from '../../apps/csi-driver/src/workload-api/testing/workload-client';
import { eventually } from '../support/eventually';
import { publishOnceBundleRead, startStackWithSourceBundle, type SourceBundleFile } from '../e2e/source-bundle';
import { IS_ROOT, type Stack } from '../e2e/stack';
import { mountPodView, type PodView } from './pod-view';

const fingerprints = (der: Buffer): string[] => splitDer(der).map((c) => c.fingerprint256);

describe.skipIf(!IS_ROOT)('Workload API trust bundle from --source-ca-bundle', () => {
  let stack: Stack;
  let bundle: SourceBundleFile;
  let strangerPem: string;
  let podView: PodView | undefined;
  let client: WorkloadClient | undefined;
  const writeBundle = (contents: string) => bundle.write(contents);

  beforeAll(async () => {
    ({ stack, bundle } = await startStackWithSourceBundle());
    // A CA that signed nothing of ours, made by the openssl CLI.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=stranger', '-keyout', join(bundle.dir, 'stranger.key'), '-out', join(bundle.dir, 'stranger.pem')], { stdio: 'ignore' });
    strangerPem = readFileSync(join(bundle.dir, 'stranger.pem'), 'utf8');
  }, 120_000);
  afterAll(async () => {
    client?.close();
    podView?.release();
    await stack?.stop();
  });

  it('pushes a changed bundle to open streams, and refuses a bundle the SVID does not verify against', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'wl-ca' });
    const issuerCa = new X509Certificate(stack.issuer.caPem).fingerprint256;
    const stranger = new X509Certificate(strangerPem).fingerprint256;
    await publishOnceBundleRead(stack, volume);
    podView = mountPodView(volume.targetPath);
    client = new WorkloadClient(podView.socket);
    // The watcher may not have seen the issuer's CA yet: wait until it is what is served.
    const svids = await eventually(async () => {
      const stream = client!.fetchX509Svid();
      const first = await stream.next().catch(() => undefined);
      if (first && fingerprints(first.svids[0].bundle).join() === issuerCa) return stream;
      stream.cancel();
      return undefined;
    });
    const bundles = client.fetchX509Bundles();
    expect(fingerprints((await bundles.next()).bundles['spiffe://example.org'])).toEqual([issuerCa]);

    writeBundle(`${stack.issuer.caPem}\n${strangerPem}`);
    expect(fingerprints((await svids.next(10_000)).svids[0].bundle)).toEqual([issuerCa, stranger]);
    expect(fingerprints((await bundles.next(10_000)).bundles['spiffe://example.org'])).toEqual([issuerCa, stranger]);

    writeBundle(strangerPem); // the SVID no longer verifies against it: not served
    const events = () => stack.sim.store.list('events') as unknown as { reason: string; involvedObject: { name: string } }[];
    await eventually(() => events().some((e) => e.reason === 'WorkloadApiSvidRefused' && e.involvedObject.name === volume.pod.name) || undefined);
    await expect(client.fetchX509Svid().next()).rejects.toMatchObject({ code: status.UNAVAILABLE,
      details: expect.stringMatching(/^B17: the leaf is signed neither by the next chain certificate nor by a certificate of the trust bundle/) });
    expect(svids.pending).toBe(0); // the open stream kept the last good pair
  }, 60_000);
});
