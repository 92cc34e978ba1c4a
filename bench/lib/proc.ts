// Process and machine readings from /proc (Linux), for memory, CPU and load figures.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux build

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(line.split(/\s+/)[1]) * 1024; // kB
}

/** Current resident set size, bytes. */
export const rssBytes = (pid: number): number => statusField(pid, 'VmRSS');
/** Peak resident set size over the process's life so far (kernel high-water mark), bytes. */
export const peakRssBytes = (pid: number): number => statusField(pid, 'VmHWM');

/** User + system CPU time the process (and its waited-for children) used, seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may contain spaces): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return (utime + stime + cutime + cstime) / CLOCK_TICKS_PER_SECOND;
}

/** CPU share of one core used by `pid` over `ms` of wall time, percent. */
export async function cpuPercentOver(pid: number, ms: number): Promise<number> {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const cpu1 = cpuSeconds(pid);
  return ((cpu1 - cpu0) / ((performance.now() - t0) / 1000)) * 100;
}

/** Samples the process's RSS every `everyMs` until stopped; reports the highest sample. */
export function sampleRss(pid: number, everyMs = 50): { stop(): number } {
  let peak = 0;
  const take = () => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // the process exited; keep the last peak
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return { stop: () => (clearInterval(timer), take(), peak) };
}

export const MB = 1024 * 1024;

export function machineInfo() {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cpuCount: cpuList.length,
    totalMemoryMB: Math.round(totalmem() / MB),
    kernel: release(),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
