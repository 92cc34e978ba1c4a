/**
 * Standalone kube-sim for the demo: `npx tsx test/kube-sim/main.ts [--port 0] [--tls]
 * [--issuer-name spiffe-ca] [--issuer-kind ClusterIssuer]`. Prints one JSON line with the URL,
 * the admin kubeconfig path and the issuing CA, then runs until SIGINT/SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { startCaIssuerSim } from './ca-issuer';
import { startKubeSim } from './index';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const port = Number(flag('port', '0'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${flag('port', '')}`);
  const sim = await startKubeSim({ port, tls: process.argv.includes('--tls'), host: flag('host', '127.0.0.1') });
  const issuerName = flag('issuer-name', 'spiffe-ca');
  const issuer = await startCaIssuerSim({
    url: sim.url, token: sim.adminToken, caPem: sim.caPem, issuerName, issuerKind: flag('issuer-kind', 'ClusterIssuer'),
  });
  const kubeconfig = sim.writeKubeconfig(sim.adminToken);
  const issuerCaPath = kubeconfig.replace(/[^/]+$/, 'issuer-ca.pem');
  writeFileSync(issuerCaPath, issuer.caPem);
  console.log(JSON.stringify({ url: sim.url, kubeconfig, issuerName, issuerCaPath }));

  const shutdown = async () => {
    await issuer.stop();
    await sim.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err: Error) => {
  console.error(`kube-sim: ${err.message}`);
  process.exit(1);
});
