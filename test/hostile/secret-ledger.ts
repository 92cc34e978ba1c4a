// Remembers every secret a test handed to or got from the product (ServiceAccount tokens, private
// keys written into volumes, CSR bodies sent to the API) and finds any of them in app logs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeSim } from '../kube-sim';

/** What a spawned app left behind: parsed stdout lines and raw stderr chunks. */
export interface LogSource {
  name: string;
  logs: unknown[];
  stderr: string[];
}

const MIN_NEEDLE = 24;

/** Base64 lines of a PEM body: each one is long and random enough to identify the secret. */
function pemBodyLines(pem: string): string[] {
  return pem.split('\n').map((l) => l.trim())
    .filter((l) => l.length >= MIN_NEEDLE && !l.startsWith('-----'));
}

export class SecretLedger {
  private readonly needles = new Map<string, string>(); // needle → what it is

  /** Records every token kube-sim mints from now on (the stack's kubelet stand-in asks it). */
  static recordingTokensOf(sim: KubeSim): SecretLedger {
    const ledger = new SecretLedger();
    const mint = sim.serviceAccountToken.bind(sim);
    sim.serviceAccountToken = (...args) => ledger.addToken(mint(...args));
    return ledger;
  }

  get size(): number {
    return this.needles.size;
  }

  addToken(jwt: string): string {
    // Hostile inputs include "tokens" like "x": too short to be a secret, and found everywhere.
    if (jwt.length >= MIN_NEEDLE) this.needles.set(jwt, 'a ServiceAccount token');
    const signature = jwt.split('.')[2];
    if (signature && signature.length >= MIN_NEEDLE) this.needles.set(signature, 'a ServiceAccount token signature');
    return jwt;
  }

  addPrivateKey(pem: string): void {
    for (const line of pemBodyLines(pem)) this.needles.set(line, 'a private key body');
  }

  addCsr(pem: string): void {
    for (const line of pemBodyLines(pem)) this.needles.set(line, 'a CSR body');
    const b64 = Buffer.from(pem).toString('base64');
    this.needles.set(b64.slice(0, 64), 'a CSR (spec.request)');
  }

  /** Every CSR currently stored in kube-sim (call it before requests get pruned). */
  captureRequests(sim: KubeSim): void {
    for (const cr of sim.store.list('certificaterequests') as { spec?: { request?: string } }[]) {
      if (typeof cr.spec?.request === 'string') this.addCsr(Buffer.from(cr.spec.request, 'base64').toString('utf8'));
    }
  }

  /** Every *.key file below `dir` (a volume's target path or the data root). */
  captureKeysUnder(dir: string): void {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const file = join(dir, entry);
      if (entry.endsWith('.key') && statSync(file).isFile()) this.addPrivateKey(readFileSync(file, 'utf8'));
    }
  }

  /** One line per leak: which app, what kind of secret, in which log line (truncated). */
  leaksIn(sources: LogSource[]): string[] {
    const leaks: string[] = [];
    for (const source of sources) {
      const lines = [...source.logs.map((l) => JSON.stringify(l)), ...source.stderr];
      for (const line of lines) {
        if (/PRIVATE KEY|CERTIFICATE REQUEST/.test(line)) leaks.push(`${source.name}: PEM marker in ${line.slice(0, 160)}`);
        for (const [needle, what] of this.needles) {
          if (line.includes(needle)) leaks.push(`${source.name}: ${what} in ${line.slice(0, 160)}`);
        }
      }
    }
    return leaks;
  }
}
