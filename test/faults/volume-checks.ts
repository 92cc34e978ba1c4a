// What the fault tests look at after a fault: the files a Pod sees, the mounts on the node, the
// CertificateRequests each ServiceAccount made, and secrets in the apps' logs.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseCertificateChain, publicKeyMatches } from '@spiffe-csi/crypto';
import type { Stack } from '../e2e/stack';
import type { LogSource, SecretLedger } from '../hostile/secret-ledger';

export interface SvidPair {
  cert: string;
  key: string;
}

/**
 * Reads cert and key the careful way, as kubelet's atomic-writer readers must: resolve ..data once,
 * read both from that dir, and start over when a swap removed the dir between the two steps (the
 * old timestamped dir is deleted right after ..data moves on, so ENOENT means "renewed meanwhile").
 */
export function readPair(targetPath: string): SvidPair {
  for (let attempt = 1; ; attempt++) {
    try {
      const dir = join(targetPath, readlinkSync(join(targetPath, '..data')));
      return { cert: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

/** A usable SVID: a parseable chain whose leaf matches the key and names `spiffeId`. */
export function expectWholePair(pair: SvidPair, spiffeId: string): void {
  const [leaf] = parseCertificateChain(pair.cert);
  expect(leaf.uriSans).toEqual([spiffeId]);
  expect(publicKeyMatches(pair.cert, pair.key)).toBe(true);
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && (p === dir || p.startsWith(`${dir}/`)));
}

/** Volume directories on the data root (anything else there would be a leak). */
export function volumeDirs(dataRoot: string): string[] {
  return readdirSync(dataRoot).sort();
}

/** CertificateRequests the API server accepted from ServiceAccount sandbox/<sa> (creates, not stored). */
export function requestsCreatedBy(stack: Pick<Stack, 'sim'>, serviceAccount: string, namespace = 'sandbox'): number {
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  return stack.sim.requests.filter((r) => r.method === 'POST' && r.status === 201 && r.user === user
    && r.path === `/apis/cert-manager.io/v1/namespaces/${namespace}/certificaterequests`).length;
}

/**
 * Both apps ran at -v=10 (see VERBOSE): none of the recorded secrets may be in any line they wrote.
 * `earlier` holds the logs of driver processes a test already killed.
 */
export function expectNoSecretsLogged(stack: Stack, ledger: SecretLedger, earlier: LogSource[] = []): void {
  ledger.captureRequests(stack.sim);
  const sources = [...earlier, { name: 'csi-driver', logs: stack.driver.logs, stderr: stack.driver.stderr }];
  if (stack.approver) sources.push({ name: 'approver', logs: stack.approver.logs, stderr: stack.approver.stderr });
  expect(ledger.size).toBeGreaterThan(0);
  expect(ledger.leaksIn(sources)).toEqual([]);
}

/** The most verbose log level, for both apps, in every fault suite. */
export const VERBOSE = ['--log-level=10'];
