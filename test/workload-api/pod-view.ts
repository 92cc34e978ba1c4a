// What a container sees: the volume's target path bind-mounted read-only at a short path (as the
// container runtime mounts it at /var/run/secrets/spiffe.io), and processes of other users.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PodView {
  dir: string;
  socket: string;
  release(): void;
}

/** `parent` (default the temp dir) must be short: the socket's path has to fit in 108 bytes. */
export function mountPodView(targetPath: string, socketName = 'workload.sock', parent = tmpdir()): PodView {
  const base = mkdtempSync(join(parent, 'wl-pod-'));
  chmodSync(base, 0o755); // any user may walk to the mount, as in a container's rootfs
  const dir = join(base, 'spiffe.io');
  mkdirSync(dir);
  execFileSync('mount', ['--bind', targetPath, dir]);
  execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
  return {
    dir, socket: join(dir, socketName),
    release: () => {
      spawnSync('umount', [dir]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export interface AsUserResult {
  /** Reading tls.key: 'ok' or the errno code. */
  key: string;
  /** The Workload API: the SPIFFE ID fetched, or the error. */
  spiffeId?: string;
  error?: string;
}

/**
 * Runs a Workload API client in a child process as uid/gid with these supplementary groups. The
 * client libraries load while still root (node_modules need not be readable by the user); the
 * identity drops before anything touches the volume.
 */
export function asUser(view: PodView, ids: { uid: number; gid: number; groups: number[] }, keyName = 'tls.key'): AsUserResult {
  const script = `
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const fs = require('node:fs');
    const proto = grpc.loadPackageDefinition(loader.loadSync('proto/workload.proto', { keepCase: true }));
    const ids = JSON.parse(process.env.IDS);
    process.setgroups(ids.groups); process.setgid(ids.gid); process.setuid(ids.uid);
    let key;
    try { fs.readFileSync(process.env.KEY); key = 'ok'; } catch (e) { key = e.code; }
    const client = new proto.SpiffeWorkloadAPI('unix:' + process.env.SOCK, grpc.credentials.createInsecure());
    const md = new grpc.Metadata(); md.set('workload.spiffe.io', 'true');
    const call = client.FetchX509SVID({}, md, { deadline: Date.now() + 5000 });
    const done = (r) => { console.log(JSON.stringify({ key, ...r })); process.exit(0); };
    call.on('data', (m) => done({ spiffeId: m.svids[0].spiffe_id }));
    call.on('error', (e) => done({ error: e.details }));
  `;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: process.cwd(), encoding: 'utf8', timeout: 20_000,
    env: { ...process.env, IDS: JSON.stringify(ids), SOCK: view.socket, KEY: join(view.dir, keyName) },
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as AsUserResult;
}
