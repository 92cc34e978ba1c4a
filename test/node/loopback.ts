// "Loopback only", checked rather than assumed: samples `ss -tunp` while the checks run and
// collects every TCP/UDP connection of the tier's processes (the node's cgroup tree, and this
// test process with its webhook and issuer stand-ins) whose peer is not in 127.0.0.0/8 or ::1.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoopbackWatch {
  /** Stops sampling; returns the offending connections seen (empty when all were loopback). */
  stop(): string[];
  samples(): number;
}

const CGROUP = '/sys/fs/cgroup/pids/csi-driver-spiffe-node';

function tierPids(): Set<number> {
  const pids = new Set<number>([process.pid, process.ppid]);
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(p));
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  try {
    walk(CGROUP);
  } catch {
    // a cgroup removed while walking it
  }
  return pids;
}

const isLoopback = (hostPort: string) => {
  const host = hostPort.replace(/:[^:]+$/, '').replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return host === '*' || host === '0.0.0.0' || host === '::' || host === '::1' || /^(::ffff:)?127\./.test(host);
};

export function startLoopbackWatch(_env: Record<string, string>): LoopbackWatch {
  const outside = new Set<string>();
  let samples = 0;
  const sample = () => {
    let out: string;
    try {
      out = execFileSync('ss', ['-tunpH'], { encoding: 'utf8' });
    } catch {
      return;
    }
    samples++;
    const pids = tierPids();
    for (const line of out.split('\n').filter(Boolean)) {
      const f = line.trim().split(/\s+/);
      const [, , , , local, peer, proc = ''] = f;
      const owners = [...proc.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
      if (!owners.some((p) => pids.has(p))) continue;
      if (!isLoopback(local) || !isLoopback(peer)) outside.add(line.trim());
    }
  };
  sample();
  const timer = setInterval(sample, 2_000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return [...outside];
    },
    samples: () => samples,
  };
}
