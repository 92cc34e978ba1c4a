// Once per `npm run test:real`: start (or reuse) the real kube-apiserver, install the
// CertificateRequest CRD and the cert-manager webhook stand-in, and hand the state dir to the
// suites. Without root or apt the script exits 77 and every suite skips, saying why.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { installCertificateRequestCrd } from './crd';
import { startAdmissionWebhook } from './admission-webhook';
import { readApiserverState, RealCluster } from './cluster';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/real-apiserver.sh');
const SKIP_EXIT_CODE = 77;

declare module 'vitest' {
  export interface ProvidedContext {
    /** State dir of the running apiserver, or '' when the tier is skipped. */
    realApiserverDir: string;
    realApiserverSkipReason: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const skip = (reason: string) => {
    console.warn(`test:real skipped: ${reason}`);
    project.provide('realApiserverDir', '');
    project.provide('realApiserverSkipReason', reason);
    return async () => undefined;
  };
  if (process.getuid?.() !== 0) return skip('needs root (apt-get for the build, tmpfs and bind mounts for the driver)');
  const started = Date.now();
  const run = spawnSync(SCRIPT, ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30 * 60_000 });
  if (run.status === SKIP_EXIT_CODE) return skip(run.stderr.trim().split('\n').pop() ?? 'real-apiserver.sh said skip');
  if (run.status !== 0) throw new Error(`real-apiserver.sh start failed (${run.status ?? run.signal}):\n${run.stderr}`);
  const dir = run.stdout.trim().split('\n').pop()!;
  console.warn(`test:real: apiserver ready in ${Math.round((Date.now() - started) / 1000)}s (${dir})`);

  const cluster = new RealCluster(readApiserverState(dir));
  await installCertificateRequestCrd(cluster);
  const webhook = await startAdmissionWebhook(cluster);
  project.provide('realApiserverDir', dir);
  project.provide('realApiserverSkipReason', '');
  return async () => {
    await webhook.stop();
    cluster.close();
    if (process.env.REAL_APISERVER_KEEP !== '1') spawnSync(SCRIPT, ['stop'], { stdio: 'inherit' });
  };
}

