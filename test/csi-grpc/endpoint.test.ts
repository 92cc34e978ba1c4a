import { spawn } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../apps/csi-driver/src/csi/endpoint';
import { type RunningDriver, startDriver } from './harness';

/** A socket file whose listener died without unlinking it — what a crashed driver leaves behind. */
async function leaveStaleSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const child = spawn(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
  ]);
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('error', reject);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  expect((await stat(path)).isSocket()).toBe(true);
}

describe('serving on --endpoint unix://', () => {
  let driver: RunningDriver | undefined;
  afterEach(async () => {
    await driver?.stop();
    driver = undefined;
  });

  it('creates the socket directory and restricts the socket to its owner', async () => {
    driver = await startDriver();
    const mode = (await stat(driver.socketPath)).mode;
    expect(mode & 0o777).toBe(0o600);
    expect((await driver.client.node.NodeGetInfo({})).node_id).toBe('node-a');
  });

  it('removes a stale socket left by a killed driver before binding', async () => {
    driver = await startDriver(leaveStaleSocket);
    expect((await driver.client.node.NodeGetInfo({})).node_id).toBe('node-a');
  });

  it('replaces a leftover regular file at the socket path', async () => {
    driver = await startDriver(async (path) => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, 'junk');
    });
    expect((await stat(driver.socketPath)).isSocket()).toBe(true);
  });

  it('refuses a socket path that is a directory', async () => {
    await expect(
      startDriver((path) => mkdir(path, { recursive: true }).then(() => undefined)),
    ).rejects.toThrow(/is a directory/);
  });
});

describe('parseEndpoint', () => {
  it('maps unix:///path to the socket path and grpc-js address', () => {
    expect(parseEndpoint('unix:///var/lib/kubelet/plugins/spiffe/csi.sock')).toEqual({
      kind: 'unix',
      path: '/var/lib/kubelet/plugins/spiffe/csi.sock',
      grpcUrl: 'unix:///var/lib/kubelet/plugins/spiffe/csi.sock',
    });
  });

  it('maps tcp://host:port, bracketing IPv6 hosts again', () => {
    expect(parseEndpoint('tcp://127.0.0.1:10000')).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 10000,
      grpcUrl: '127.0.0.1:10000',
    });
    expect(parseEndpoint('tcp://[::1]:9000').grpcUrl).toBe('[::1]:9000');
  });

  it.each([
    '',
    '/var/csi.sock',
    'http://x:1',
    'tcp://host',
    'tcp://host:99999',
    'unix://relative/csi.sock',
  ])('rejects %j naming the flag', (endpoint) => {
    expect(() => parseEndpoint(endpoint)).toThrow(/^--endpoint /);
  });
});
