// The same SVID, three ways: the files (tls.crt, tls.key, ca.crt), the credential file
// (credentials.pem), the SPIFFE bundle (bundle.spiffe) and the Workload API's FetchX509SVID
// always agree, after renewals and after a CA change; and a reader of credentials.pem racing the
// renewals never sees a key beside another issuance's certificate. Everything is read the way a
// Pod reads it, through a read-only bind of the volume, and judged with node:crypto only.
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkloadClient, type StreamReader, type X509SvidMessage } from '../../apps/csi-driver/src/workload-api/testing/workload-client';
import { publishOnceBundleRead, startStackWithSourceBundle, type SourceBundleFile } from '../e2e/source-bundle';
import { IS_ROOT, type Stack } from '../e2e/stack';
import { eventually } from '../support/eventually';
import { mountPodView, type PodView } from './pod-view';

/** PEM blocks as [label, DER], read independently of libs/crypto. */
function pemBlocks(text: string): [string, Buffer][] {
  return [...text.matchAll(/-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g)]
    .map((m) => [m[1], Buffer.from(m[2].replace(/\s+/g, ''), 'base64')]);
}
const certificatesDer = (text: string) => Buffer.concat(pemBlocks(text).filter(([l]) => l === 'CERTIFICATE').map(([, d]) => d));

/** The volume's files from ONE payload: `..data` resolved once, every file read beside it. */
async function payload(dir: string): Promise<Record<string, string>> {
  return eventually(async () => {
    const current = join(dir, await readlink(join(dir, '..data')));
    const names = ['tls.crt', 'tls.key', 'ca.crt', 'credentials.pem', 'bundle.spiffe'];
    return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(join(current, n), 'utf8')])));
  }, 5_000, 'one payload read without a swap in between');
}

/** Every way the SVID is delivered, compared with one Workload API message; the differences found. */
function disagreements(files: Record<string, string>, message: X509SvidMessage): string[] {
  const svid = message.svids[0];
  const problems: string[] = [];
  const key = createPrivateKey(files['tls.key']).export({ format: 'der', type: 'pkcs8' });
  if (!certificatesDer(files['tls.crt']).equals(svid.x509_svid)) problems.push('tls.crt ≠ x509_svid');
  if (!key.equals(svid.x509_svid_key)) problems.push('tls.key ≠ x509_svid_key');
  if (!certificatesDer(files['ca.crt']).equals(svid.bundle)) problems.push('ca.crt ≠ bundle');
  const credentials = pemBlocks(files['credentials.pem']);
  if (credentials[0]?.[0] !== 'PRIVATE KEY' || !credentials[0][1].equals(svid.x509_svid_key)) problems.push('credentials.pem key ≠ x509_svid_key');
  if (!certificatesDer(files['credentials.pem']).equals(svid.x509_svid)) problems.push('credentials.pem chain ≠ x509_svid');
  const keys = (JSON.parse(files['bundle.spiffe']) as { keys: { use: string; x5c: string[]; kty: string }[] }).keys;
  if (!Buffer.concat(keys.map((k) => Buffer.from(k.x5c[0], 'base64'))).equals(svid.bundle)) problems.push('bundle.spiffe ≠ bundle');
  for (const { x5c, use, ...jwk } of keys) {
    const matches = createPublicKey({ key: jwk, format: 'jwk' }).equals(new X509Certificate(Buffer.from(x5c[0], 'base64')).publicKey);
    if (use !== 'x509-svid' || !matches) problems.push('a bundle.spiffe key does not describe its x5c certificate');
  }
  return problems;
}

describe.skipIf(!IS_ROOT)('files, credentials.pem, bundle.spiffe and the Workload API agree', () => {
  let stack: Stack;
  let bundle: SourceBundleFile;

  beforeAll(async () => {
    // 6 s certificates: a renewal about every 4 s.
    ({ stack, bundle } = await startStackWithSourceBundle({ certDurationMs: 6_000 }));
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** The next message on `stream` after which every delivery agrees with it. */
  async function agreeing(stream: StreamReader<X509SvidMessage>, view: PodView): Promise<X509SvidMessage> {
    let message = await stream.next(15_000);
    // A renewal or a CA rewrite may land between the message and the read: take the newest message.
    return eventually(async () => {
      while (stream.pending) message = await stream.next();
      const problems = disagreements(await payload(view.dir), message);
      if (problems.length) throw new Error(problems.join('; '));
      return message;
    }, 10_000, 'files and Workload API to agree');
  }

  it('on the first issuance, after renewals and after a CA change', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'consistent' });
    await publishOnceBundleRead(stack, volume);
    const podView = mountPodView(volume.targetPath);
    const client = new WorkloadClient(podView.socket);
    try {
      const stream = client.fetchX509Svid();
      const first = await agreeing(stream, podView);
      const renewed = await agreeing(stream, podView);
      expect(renewed.svids[0].x509_svid.equals(first.svids[0].x509_svid)).toBe(false);

      // A CA change: the issuer's CA plus another one. Files and stream follow it together.
      const other = join(bundle.dir, 'other');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other CA',
        '-keyout', `${other}.key`, '-out', `${other}.pem`], { stdio: 'ignore' });
      bundle.write(stack.issuer.caPem + readFileSync(`${other}.pem`, 'utf8'));
      const bothCas = Buffer.concat([new X509Certificate(stack.issuer.caPem).raw, new X509Certificate(readFileSync(`${other}.pem`)).raw]);
      const afterCa = await eventually(async () => {
        const message = await agreeing(stream, podView);
        return message.svids[0].bundle.equals(bothCas) && message;
      }, 30_000, 'the new bundle on the stream and in the files');
      expect(JSON.parse(readFileSync(join(podView.dir, 'bundle.spiffe'), 'utf8')).keys.map((k: { kty: string }) => k.kty)).toEqual(['EC', 'RSA']);
      // And they keep agreeing across the next renewal.
      const next = await agreeing(stream, podView);
      expect(next.svids[0].bundle.equals(afterCa.svids[0].bundle)).toBe(true);
      stream.cancel();
    } finally {
      client.close();
      podView.release();
    }
  }, 90_000);

  it('a reader of credentials.pem racing renewals always sees a key that matches its certificate', async () => {
    const volume = stack.pod({ namespace: 'sandbox', serviceAccount: 'racer' });
    await stack.publish(volume);
    const view = mountPodView(volume.targetPath);
    try {
      const leaves = new Set<string>();
      let reads = 0;
      // Long enough for at least two renewals; every read opens the file once, as an application does.
      for (const until = Date.now() + 9_000; Date.now() < until || leaves.size < 3;) {
        // A reader that opens the name just as the old payload is removed gets ENOENT and opens again.
        const text = await readFile(join(view.dir, 'credentials.pem'), 'utf8').catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        if (text === undefined) continue;
        const blocks = pemBlocks(text);
        const key = createPrivateKey({ key: blocks[0][1], format: 'der', type: 'pkcs8' });
        const leaf = new X509Certificate(blocks[1][1]);
        expect(createPublicKey(key).equals(leaf.publicKey)).toBe(true);
        leaves.add(leaf.fingerprint256);
        reads++;
        if (Date.now() > until + 20_000) throw new Error(`only ${leaves.size} issuances seen`);
      }
      expect(reads).toBeGreaterThan(100);
    } finally {
      view.release();
      await stack.unpublish(volume);
    }
  }, 60_000);
});
