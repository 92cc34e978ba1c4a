import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { KubeManifest, parseManifests } from './k8s-schema';

export const CHART = resolve(__dirname, '../../deploy/charts/csi-driver-spiffe');
let helmPath: string | undefined;

export function helm(): string {
  helmPath ??= execFileSync(resolve(__dirname, '../../scripts/fetch-helm.sh'), { encoding: 'utf8' }).trim();
  return helmPath;
}

/** `helm template` with --set pairs; returns the rendered objects. */
export function render(set: Record<string, string> = {}, namespace = 'cert-manager'): KubeManifest[] {
  const args = ['template', 'csi-driver-spiffe', CHART, '--namespace', namespace];
  for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
  return parseManifests(execFileSync(helm(), args, { encoding: 'utf8' }));
}

/** Runs helm and returns its combined output and exit status instead of throwing. */
export function helmRun(args: string[]): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync(helm(), args, { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { status: number; stdout?: string; stderr?: string };
    return { status: e.status, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
