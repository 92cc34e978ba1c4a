import { beforeAll, describe, expect, it } from 'vitest';
import { parseDriverOptions } from '@spiffe-csi/config';
import { find, validateManifest, type KubeManifest } from './k8s-schema';
import { CHART, helm, helmRun, render } from './helm';

// app.driver.workloadApiSocketName → the driver's --workload-api-socket-name. The rendered args
// go through the driver's own option parser: what matters is the name the driver ends up with,
// including the empty one that turns the Workload API off (which only an explicit flag can do,
// since the driver's default is workload.sock).
const VALUE = 'app.driver.workloadApiSocketName';

const DRIVER = 'cert-manager-csi-driver-spiffe';
interface PodSpec {
  containers: { name: string; args?: string[]; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes: { name: string; emptyDir?: Record<string, unknown> }[];
}

function driverArgs(objs: KubeManifest[]): string[] {
  const spec = (find(objs, 'DaemonSet').spec as { template: { spec: PodSpec } }).template.spec;
  return spec.containers.find((c) => c.name === DRIVER)?.args ?? [];
}

/** The socket name the driver parses from the rendered args (kubelet's env references filled in). */
function socketNameOf(objs: KubeManifest[]): string {
  const args = driverArgs(objs).map((a) => a.replace('$(NODE_ID)', 'node-a').replace('$(CSI_ENDPOINT)', 'unix:///plugin/csi.sock'));
  return parseDriverOptions(args, {}).workloadApiSocketName;
}

describe('chart: the SPIFFE Workload API socket', () => {
  beforeAll(() => {
    helm();
  }, 120_000);

  it('serves workload.sock by default, named explicitly', () => {
    const objs = render();
    expect(driverArgs(objs)).toContain('--workload-api-socket-name=workload.sock');
    expect(socketNameOf(objs)).toBe('workload.sock');
  });

  it('passes another name, and an empty one that disables it', () => {
    expect(socketNameOf(render({ [VALUE]: 'spiffe.sock' }))).toBe('spiffe.sock');
    const off = render({ [VALUE]: '' });
    for (const obj of off) validateManifest(obj);
    expect(driverArgs(off)).toContain('--workload-api-socket-name=');
    expect(socketNameOf(off)).toBe('');
  });

  it('gives the driver a writable /tmp (its root filesystem is read-only) while the socket is on', () => {
    const tmpOf = (objs: KubeManifest[]) => {
      const spec = (find(objs, 'DaemonSet').spec as { template: { spec: PodSpec } }).template.spec;
      const mount = spec.containers.find((c) => c.name === DRIVER)?.volumeMounts?.find((m) => m.mountPath === '/tmp');
      return mount && spec.volumes.find((v) => v.name === mount.name);
    };
    // The socket is bound through a short symlink in a private temp dir (workload-socket.ts).
    expect(tmpOf(render())).toMatchObject({ emptyDir: { medium: 'Memory' } });
    expect(tmpOf(render({ [VALUE]: '' }))).toBeUndefined();
  });

  it('rejects a path or an overlong name through values.schema.json', () => {
    for (const bad of ['run/workload.sock', 'w'.repeat(65)]) {
      const { status, output } = helmRun(['template', 'x', CHART, '--set', `${VALUE}=${bad}`]);
      expect(status).not.toBe(0);
      expect(output).toMatch(/workloadApiSocketName/);
    }
  });
});
