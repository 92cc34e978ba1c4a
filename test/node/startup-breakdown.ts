// Where the startup figure's time goes, Pod by Pod, from the logs the tier already has: kubelet's
// (its volume reconciler logs "operationExecutor.MountVolume started" and "MountVolume.SetUp
// succeeded" at -v 1), the driver's "volume published" line (its total and per-phase durations)
// and the CRI's container start. Printed as medians next to the figure, so a regression says
// whether it was kubelet, the driver, the approver or the issuer.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The issuer stand-in's trace (global-setup appends one JSON line per finished request). */
export const ISSUER_TRACE_FILE = resolve(__dirname, '../../.tmp/node-issuer-trace.jsonl');

export function issuerTraceWriter(): (trace: IssuerTraceLine) => void {
  writeFileSync(ISSUER_TRACE_FILE, '');
  return (trace) => appendFileSync(ISSUER_TRACE_FILE, `${JSON.stringify(trace)}\n`);
}

export function readIssuerTrace(): IssuerTraceLine[] {
  return readIfExists(ISSUER_TRACE_FILE).split('\n').filter(Boolean).map((l) => JSON.parse(l) as IssuerTraceLine);
}

export interface PodTimes {
  name: string;
  uid: string;
  /** Wall-clock ms (epoch) the create call returned. */
  created: number;
  /** Wall-clock ms the container process started (CRI started_at). */
  started: number;
  volume: boolean;
}

interface PublishLine { time: number; volumeId: string; durationMs?: number; phasesMs?: Record<string, number> }

/** klog's "I1202 07:20:00.123456" (local time, no year) as epoch ms; the tier runs in one day's span. */
function klogTime(line: string, year: number): number | undefined {
  const m = /^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(line);
  if (!m) return undefined;
  const [, mo, d, h, mi, s, us] = m;
  return new Date(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() + Number(us) / 1000;
}

/** Per Pod UID and volume name: when kubelet started the mount and when SetUp succeeded (first of each). */
export function kubeletMountTimes(kubeletLog: string): Map<string, { started?: number; setUp?: number }> {
  const out = new Map<string, { started?: number; setUp?: number }>();
  const year = new Date().getFullYear();
  for (const line of kubeletLog.split('\n')) {
    // At -v 3 kubelet also logs its pod worker's volume wait ("<name>_<namespace>(<uid>)"): kept as <uid>/(wait).
    const wait = /(Waiting for volumes to attach and mount|All volumes are attached and mounted) for pod "[^"(]*\(([^)]+)\)"/.exec(line);
    const tw = wait && klogTime(line, year);
    if (wait && tw !== undefined && tw !== null) {
      const entry = out.get(`${wait[2]}/(wait)`) ?? {};
      if (wait[1].startsWith('Waiting')) entry.started ??= tw;
      else entry.setUp ??= tw;
      out.set(`${wait[2]}/(wait)`, entry);
      continue;
    }
    const started = line.includes('operationExecutor.MountVolume started');
    const setUp = line.includes('MountVolume.SetUp succeeded');
    if (!started && !setUp) continue;
    const m = /for volume "([^"]+)" .* pod "[^"]*" \(UID: "([^"]+)"\)/.exec(line);
    const t = klogTime(line, year);
    if (!m || t === undefined) continue;
    const key = `${m[2]}/${m[1]}`;
    const entry = out.get(key) ?? {};
    if (started) entry.started ??= t;
    else entry.setUp ??= t;
    out.set(key, entry);
  }
  return out;
}

/**
 * Per Pod UID: when kubelet asked containerd for the Pod's sandbox. The pod worker does that right
 * after WaitForAttachAndMount returns, so it marks the volume poll tick the Pod made.
 */
export function sandboxRequested(containerdLog: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of containerdLog.split('\n')) {
    const m = /^time="([^"]+)".*msg="RunPodSandbox for &PodSandboxMetadata\{Name:[^,]*,Uid:([^,]+),/.exec(line);
    if (m && !out.has(m[2])) out.set(m[2], Date.parse(m[1]));
  }
  return out;
}

/** The driver's "volume published" lines by volume ID (pino JSON, time in epoch ms). */
export function publishLines(driverLog: string): Map<string, PublishLine> {
  return new Map(jsonLines<PublishLine>(driverLog, 'volume published').map((l) => [l.volumeId, l]));
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** Median ms of each step, for the Pods with our volume and for those without. */
export interface Breakdown {
  withVolume: Record<string, number>;
  without: Record<string, number>;
  /** The driver's per-phase medians (PhaseClock phases). */
  phases: Record<string, number>;
  /** The request across driver, approver and issuer (requestPath). */
  request?: Record<string, number>;
  /** Pods with our volume whose sandbox was requested on the same volume tick as the Pods without. */
  firstTick: { made: number; of: number };
}

export function breakdown(pods: PodTimes[], volumeIdOf: (uid: string) => string, logs: { kubelet: string; containerd: string; driver: string }): Breakdown {
  const kubelet = kubeletMountTimes(logs.kubelet);
  const sandbox = sandboxRequested(logs.containerd);
  const driverLog = logs.driver;
  const published = publishLines(driverLog);
  const steps = (volume: boolean) => {
    const rows = pods.filter((p) => p.volume === volume).map((p) => {
      // Our volume is "spiffe"; the one every Pod has is the ServiceAccount token's secret volume.
      const token = [...kubelet.entries()].find(([k]) => k.startsWith(`${p.uid}/`) && !k.endsWith('/spiffe') && !k.endsWith('/(wait)'))?.[1] ?? {};
      const wait = kubelet.get(`${p.uid}/(wait)`) ?? {};
      const ours = kubelet.get(`${p.uid}/spiffe`) ?? {};
      const pub = published.get(volumeIdOf(p.uid));
      const publishStart = pub?.durationMs !== undefined ? pub.time - pub.durationMs : NaN;
      const lastSetUp = Math.max(token.setUp ?? NaN, volume ? ours.setUp ?? NaN : -Infinity);
      return {
        'created → pod worker waits for volumes (kubelet -v 3 only)': (wait.started ?? NaN) - p.created,
        'pod worker waits → all mounted seen (kubelet -v 3 only)': (wait.setUp ?? NaN) - (wait.started ?? NaN),
        'created → kubelet starts token mount': (token.started ?? NaN) - p.created,
        'created → token SetUp done': (token.setUp ?? NaN) - p.created,
        ...(volume ? {
          'created → kubelet starts our mount': (ours.started ?? NaN) - p.created,
          'kubelet starts our mount → driver publish starts': publishStart - (ours.started ?? NaN),
          'driver publish (total)': pub?.durationMs ?? NaN,
          'driver published → kubelet SetUp done': (ours.setUp ?? NaN) - (pub?.time ?? NaN),
          'created → our SetUp done': (ours.setUp ?? NaN) - p.created,
        } : {}),
        'last SetUp done → sandbox requested (the volume poll tick it made)': (sandbox.get(p.uid) ?? NaN) - lastSetUp,
        'sandbox requested → container started': p.started - (sandbox.get(p.uid) ?? NaN),
        'created → container started': p.started - p.created,
      } as Record<string, number>;
    });
    const keys = rows.length ? Object.keys(rows[0]) : [];
    return Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => r[k]))]));
  };
  // The Pods without all pass kubelet's first 300 ms volume tick; a Pod with ours requested its
  // sandbox on that tick if it did so within half a tick of their median.
  const sandboxAfter = (volume: boolean) => pods.filter((p) => p.volume === volume)
    .map((p) => (sandbox.get(p.uid) ?? NaN) - p.created).filter(Number.isFinite);
  const firstTickEnd = median(sandboxAfter(false)) + 150;
  const withSandbox = sandboxAfter(true);
  const firstTick = { made: withSandbox.filter((t) => t < firstTickEnd).length, of: withSandbox.length };
  const phaseNames = [...new Set([...published.values()].flatMap((l) => Object.keys(l.phasesMs ?? {})))];
  const ours = pods.filter((p) => p.volume).map((p) => published.get(volumeIdOf(p.uid))?.phasesMs ?? {});
  const phases = Object.fromEntries(phaseNames.map((ph) => [ph, median(ours.map((o) => o[ph] ?? NaN))]));
  return { withVolume: steps(true), without: steps(false), phases, firstTick };
}

/** pino JSON lines with this msg, parsed (lines cut by rotation are skipped). */
function jsonLines<T>(log: string, msg: string): T[] {
  return log.split('\n').filter((l) => l.includes(`"${msg}"`)).flatMap((l) => {
    try {
      return [JSON.parse(l.slice(l.indexOf('{'))) as T];
    } catch {
      return [];
    }
  });
}

export interface IssuerTraceLine { namespace: string; name: string; seen: number; signed: number; written: number }

/**
 * The request's path across processes, medians over our Pods: driver created the request →
 * approver wrote Approved → the issuer stand-in saw it, signed, wrote Ready → the driver saw it.
 * Clocks are one host's, so cross-process differences are real.
 */
export function requestPath(pods: PodTimes[], volumeIdOf: (uid: string) => string, driverLog: string,
  approverLogs: string, issuer: IssuerTraceLine[]): Record<string, number> {
  const created = new Map(jsonLines<{ time: number; volumeId: string; request: string }>(driverLog, 'certificate request created')
    .map((l) => [l.volumeId, l]));
  const approved = new Map(jsonLines<{ time: number; namespace: string; name: string }>(approverLogs, 'approved certificate request')
    .map((l) => [`${l.namespace}/${l.name}`, l.time]));
  const signed = new Map(issuer.map((t) => [`${t.namespace}/${t.name}`, t]));
  const published = publishLines(driverLog);
  const rows = pods.filter((p) => p.volume).map((p) => {
    const c = created.get(volumeIdOf(p.uid));
    const pub = published.get(volumeIdOf(p.uid));
    const t = c && signed.get(c.request);
    const a = c && approved.get(c.request);
    const after = pub?.phasesMs ? (pub.phasesMs.verify ?? 0) + (pub.phasesMs.write ?? 0) + (pub.phasesMs.mount ?? 0) : NaN;
    const readySeen = pub ? pub.time - after : NaN;
    return {
      'request created → approver wrote Approved': (a ?? NaN) - (c?.time ?? NaN),
      'approver wrote Approved → issuer saw it': (t?.seen ?? NaN) - (a ?? NaN),
      'issuer signing': t ? t.signed - t.seen : NaN,
      'issuer status write': t ? t.written - t.signed : NaN,
      'issuer wrote Ready → driver saw it': readySeen - (t?.written ?? NaN),
    } as Record<string, number>;
  });
  const keys = rows.length ? Object.keys(rows[0]) : [];
  return Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => r[k]))]));
}

export function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

export function formatBreakdown(b: Breakdown): string {
  const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');
  const rows = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `    ${k}: ${ms(v)}`);
  return [
    'Where the time goes (medians; kubelet log times, driver log, CRI started_at):',
    `  Pods with our volume that made the Pods' first 300 ms volume tick: ${b.firstTick.made} of ${b.firstTick.of}`,
    '  Pods with our volume:', ...rows(b.withVolume),
    `  driver publish phases: ${Object.entries(b.phases).map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(1) : 'n/a'}`).join(', ')} ms`,
    ...(b.request ? ['  the request (driver, approver and issuer logs):', ...rows(b.request)] : []),
    '  Pods without:', ...rows(b.without),
  ].join('\n');
}
