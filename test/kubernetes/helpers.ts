import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConnection, type NewCertificateRequest } from '@spiffe-csi/kubernetes';
import { startKubeSim, type KubeSim } from '../kube-sim';

export interface SimContext {
  sim: KubeSim;
  conn: KubeConnection;
  close(): Promise<void>;
}

/** A TLS kube-sim plus an admin connection loaded the production way (a kubeconfig file). */
export async function startSimWithConnection(
  opts: { bookmarkIntervalMs?: number } = {},
): Promise<SimContext> {
  const sim = await startKubeSim({ tls: true, ...opts });
  const conn = KubeConnection.load({ kubeconfig: sim.writeKubeconfig(sim.adminToken), env: {} });
  return {
    sim,
    conn,
    close: async () => {
      conn.close();
      await sim.close();
    },
  };
}

let csrB64: string | undefined;

/** A real CSR (base64 PEM), generated once with the openssl CLI. */
export function csrBase64(): string {
  if (!csrB64) {
    const dir = mkdtempSync(join(tmpdir(), 'kube-csr-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-subj',
          '/',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'csr.pem'),
        ],
        { stdio: 'ignore' },
      );
      csrB64 = readFileSync(join(dir, 'csr.pem')).toString('base64');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return csrB64;
}

export function newRequest(name: string, labels?: Record<string, string>): NewCertificateRequest {
  return {
    metadata: { name, labels },
    spec: {
      request: csrBase64(),
      issuerRef: { name: 'ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      usages: ['client auth'],
    },
  };
}
