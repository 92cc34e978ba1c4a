// The driver's --source-ca-bundle in the tests that set one. Issued SVIDs must verify against it
// (X.509-SVID rule B14), and the issuer's CA is only known once the stack is up: the file starts
// with a placeholder, then gets the issuer's CA, and the first publishes may be refused until the
// driver's watcher has read it, which kubelet's retries ride out.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodVolume } from './kubelet';
import { startStack, type Stack, type StackOptions } from './stack';
import { eventually } from '../support/eventually';

export class SourceBundleFile {
  readonly dir = mkdtempSync(join(tmpdir(), 'spiffe-source-bundle-'));
  readonly path = join(this.dir, 'ca.crt');

  constructor(initial = 'placeholder') {
    writeFileSync(this.path, initial);
  }

  /** Replaces the file in one rename, as a Secret volume's swap does. */
  write(contents: string): void {
    writeFileSync(`${this.path}.tmp`, contents);
    renameSync(`${this.path}.tmp`, this.path);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Publishes as kubelet does: again until it succeeds (here: once the bundle with the issuer's CA is read). */
export function publishOnceBundleRead(stack: Stack, volume: PodVolume): Promise<true> {
  return eventually(() => stack.publish(volume).then(() => true as const), 20_000, 'a publish once the CA bundle is read');
}

/** The stack with --source-ca-bundle on a fresh file that holds the issuer's CA; stop() removes the file too. */
export async function startStackWithSourceBundle(opts: StackOptions = {}): Promise<{ stack: Stack; bundle: SourceBundleFile }> {
  const bundle = new SourceBundleFile();
  const stack = await startStack({ ...opts, driverArgs: [...(opts.driverArgs ?? []), `--source-ca-bundle=${bundle.path}`] })
    .catch((error: unknown) => {
      bundle.remove();
      throw error;
    });
  bundle.write(stack.issuer.caPem);
  const stop = stack.stop.bind(stack);
  stack.stop = async () => {
    await stop();
    bundle.remove();
  };
  return { stack, bundle };
}
