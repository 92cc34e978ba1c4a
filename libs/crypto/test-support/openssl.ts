import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory for one test file plus an `openssl` runner that works inside it. */
export class OpensslWorkspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'spiffe-crypto-test-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, content: string | Buffer): string {
    const file = this.path(name);
    writeFileSync(file, content);
    return file;
  }

  read(name: string): string {
    return readFileSync(this.path(name), 'utf8');
  }

  /** Runs openssl; returns stdout+stderr. Throws with the combined output when it fails. */
  run(args: string[], input?: string): string {
    const r = spawnSync('openssl', args, {
      cwd: this.dir,
      input,
      encoding: 'utf8',
      timeout: 20_000,
    });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0) throw new Error(`openssl ${args[0]} exited ${r.status}: ${output}`);
    return output;
  }

  /** Runs openssl expecting success or failure; returns { ok, output } without throwing. */
  attempt(args: string[], input?: string): { ok: boolean; output: string } {
    try {
      return { ok: true, output: this.run(args, input) };
    } catch (error) {
      return { ok: false, output: (error as Error).message };
    }
  }

  /** `openssl req -verify`; OpenSSL 3.0 exits 0 even on failure, so read its verdict. */
  csrSignatureVerifies(file: string): boolean {
    const { ok, output } = this.attempt(['req', '-in', file, '-verify', '-noout']);
    return ok && /self-signature verify OK/.test(output) && !/failure/.test(output);
  }

  /** Makes a CSR with openssl: `key` is a -newkey spec or an existing key file, `ext` are -addext values. */
  makeCsr(name: string, o: { newkey: string; subj?: string; ext?: string[] }): string {
    const args = ['req', '-new', '-newkey', o.newkey, '-nodes', '-keyout', `${name}.key`];
    args.push('-subj', o.subj ?? '/', '-out', `${name}.csr`);
    for (const ext of o.ext ?? []) args.push('-addext', ext);
    this.run(args);
    return this.read(`${name}.csr`);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
