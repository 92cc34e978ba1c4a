// Once per `npm run test:node`: bring up the real single node (scripts/real-node.sh up: control
// plane, containerd, kubelet, our image imported), then, as host processes, what cert-manager
// would run: the CertificateRequest CRD, its admission webhook stand-in and a CA issuer stand-in
// that signs with @peculiar/x509. Without root or apt the script exits 77 and every check skips,
// saying why. `down` runs afterwards (and again from scripts/test-node.sh's trap on Ctrl-C).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { installCertificateRequestCrd } from '../real/crd';
import { startCaIssuerSim } from '../kube-sim/ca-issuer';
import { startAdmissionWebhook } from '../real/admission-webhook';
import { readApiserverState, RealCluster } from '../real/cluster';
import { issuerTraceWriter } from './startup-breakdown';
import { signWithPeculiar } from './x509-signer';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/real-node.sh');
const SKIP_EXIT_CODE = 77;
/** The chart's default issuer: the stand-in plays the ClusterIssuer `spiffe-ca`. */
export const ISSUER = { name: 'spiffe-ca', kind: 'ClusterIssuer' };

declare module 'vitest' {
  export interface ProvidedContext {
    /** KEY=value lines of `real-node.sh env`, or {} when the tier is skipped. */
    nodeEnv: Record<string, string>;
    nodeSkipReason: string;
    /** The issuer stand-in's CA certificate (PEM). */
    nodeIssuerCa: string;
  }
}

export function nodeEnv(): Record<string, string> {
  const run = spawnSync(SCRIPT, ['env'], { encoding: 'utf8' });
  return Object.fromEntries(run.stdout.trim().split('\n').filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const skip = (reason: string) => {
    console.warn(`test:node skipped: ${reason}`);
    project.provide('nodeEnv', {});
    project.provide('nodeSkipReason', reason);
    project.provide('nodeIssuerCa', '');
    return async () => undefined;
  };
  if (process.getuid?.() !== 0) return skip('needs root (kubelet, containerd, apt-get, tmpfs and bind mounts)');
  const started = Date.now();
  const up = spawnSync(SCRIPT, ['up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 40 * 60_000 });
  if (up.status === SKIP_EXIT_CODE) return skip('real-node.sh up said it cannot run here (see its last line above)');
  const down = () => {
    if (process.env.REAL_NODE_KEEP !== '1') spawnSync(SCRIPT, ['down'], { stdio: 'inherit' });
  };
  if (up.status !== 0) {
    down();
    throw new Error(`real-node.sh up failed (${up.status ?? up.signal}); see its output above`);
  }
  const env = nodeEnv();
  console.warn(`test:node: node up in ${Math.round((Date.now() - started) / 1000)}s (${env.STATE}); stages: ${
    Object.entries(env).filter(([k]) => k.startsWith('TIME_')).map(([k, v]) => `${k.slice(5)}=${v}`).join(' ')}`);

  const cluster = new RealCluster(readApiserverState(env.CONTROL_PLANE));
  await installCertificateRequestCrd(cluster);
  const webhook = await startAdmissionWebhook(cluster);
  // cert-manager's controller runs with broad RBAC: the stand-in acts as admin.
  const issuer = await startCaIssuerSim({
    url: cluster.state.url, token: cluster.state.adminToken, caPem: cluster.state.caPem,
    issuerName: ISSUER.name, issuerKind: ISSUER.kind, signer: signWithPeculiar,
    // When it saw, signed and wrote each request: the startup figure's breakdown reads it.
    onFinished: issuerTraceWriter(),
  });
  project.provide('nodeEnv', env);
  project.provide('nodeSkipReason', '');
  project.provide('nodeIssuerCa', issuer.caPem);
  return async () => {
    await issuer.stop();
    await webhook.stop();
    cluster.close();
    down();
  };
}

