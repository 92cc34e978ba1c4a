import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes kubeconfig files (bearer-token users) and removes the ones it chose paths for. */
export class KubeconfigWriter {
  private dir?: string;
  private count = 0;

  constructor(
    private readonly url: string,
    private readonly caPem: string | undefined,
  ) {}

  write(token: string, path?: string): string {
    const target = path ?? join((this.dir ??= mkdtempSync(join(tmpdir(), 'kube-sim-'))), `kubeconfig-${++this.count}.yaml`);
    const q = JSON.stringify; // a JSON string is a valid YAML scalar, whatever it contains
    const caLine = this.caPem ? `\n    certificate-authority-data: ${q(Buffer.from(this.caPem).toString('base64'))}` : '';
    const yaml = `apiVersion: v1
kind: Config
clusters:
- name: kube-sim
  cluster:
    server: ${q(this.url)}${caLine}
contexts:
- name: kube-sim
  context:
    cluster: kube-sim
    user: kube-sim-user
current-context: kube-sim
users:
- name: kube-sim-user
  user:
    token: ${q(token)}
`;
    writeFileSync(target, yaml, { mode: 0o600 });
    return target;
  }

  cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
