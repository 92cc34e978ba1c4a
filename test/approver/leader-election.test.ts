import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { driverCsr, spiffeIdOf } from './fixtures';
import { ensureApproverBuilt, startApprover, type ApproverProcess } from './harness';
import { createAs, statusWrites, waitForDecision, type StoredRequest } from './requests';
import { eventually } from '../support/eventually';

const LEASE = { resource: 'leases', namespace: 'cert-manager', name: 'spiffe.csi.cert-manager.io' };
let sim: KubeSim;
let replicas: ApproverProcess[] = [];
let csrPem: string;

beforeAll(async () => {
  ensureApproverBuilt();
  sim = await startKubeSim();
  csrPem = await driverCsr(spiffeIdOf('sandbox', 'app'));
}, 240_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
  await sim?.close();
});

const holder = () =>
  (
    sim.store.get(LEASE.resource, LEASE.namespace, LEASE.name) as
      { spec?: { holderIdentity?: string } } | undefined
  )?.spec?.holderIdentity;
const isLeaderLine = (l: { msg?: string }) => l.msg === 'became leader; deciding pending requests';
const decisionsLogged = (r: ApproverProcess, crs: StoredRequest[]) =>
  r.logs.filter((l) => l.result !== undefined && crs.some((cr) => cr.metadata.name === l.name))
    .length;

async function leaderOf(candidates: ApproverProcess[]): Promise<ApproverProcess> {
  return eventually(() => candidates.find((r) => r.logs.some(isLeaderLine)));
}

describe('two approver replicas', () => {
  it('exactly one decides each request; the other takes over when the leader is SIGKILLed', async () => {
    replicas = await Promise.all([startApprover(sim), startApprover(sim)]);
    await Promise.all(
      replicas.map((r) => expect.poll(() => r.isReady(), { timeout: 30_000 }).toBe(true)),
    );
    const leader = await leaderOf(replicas);
    const standby = replicas.find((r) => r !== leader)!;

    const first = await Promise.all(
      Array.from({ length: 10 }, () => createAs(sim, 'app', { csrPem })),
    );
    await Promise.all(first.map((cr) => waitForDecision(sim, cr)));
    await new Promise((r) => setTimeout(r, 300));
    for (const cr of first) expect(statusWrites(sim, cr)).toBe(1);
    // The log line follows the status write; wait for it rather than race it.
    await eventually(() => (decisionsLogged(leader, first) === 10 ? true : undefined));
    expect(decisionsLogged(standby, first)).toBe(0);
    expect(standby.logs.some(isLeaderLine)).toBe(false);
    expect(await standby.metrics()).toContain('certmanager_csi_spiffe_approver_leader 0');

    // The killed leader cannot release its lease: the standby waits out leaseDuration (2 s here).
    await leader.stop('SIGKILL');
    const second = await Promise.all(
      Array.from({ length: 5 }, () => createAs(sim, 'app', { csrPem })),
    );
    await Promise.all(second.map((cr) => waitForDecision(sim, cr, 30_000)));
    expect(standby.logs.some(isLeaderLine)).toBe(true);
    await eventually(() => (decisionsLogged(standby, second) === 5 ? true : undefined));
    for (const cr of second) expect(statusWrites(sim, cr)).toBe(1);
  }, 120_000);

  it('SIGTERM releases the lease and exits 0, so a successor needs not wait', async () => {
    const leader = await leaderOf(
      replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null),
    );
    const leaderIdentity = holder();
    expect(leaderIdentity).toBeTruthy();
    const successor = await startApprover(sim);
    replicas.push(successor);
    await expect.poll(() => successor.isReady(), { timeout: 30_000 }).toBe(true);
    expect(successor.logs.some(isLeaderLine)).toBe(false);

    expect(await leader.stop('SIGTERM')).toBe(0);
    expect(leader.logs.some((l) => l.msg === 'released leader lease')).toBe(true);
    await successor.waitForLog(isLeaderLine, 30_000);
    expect(holder()).not.toBe(leaderIdentity);
  }, 120_000);
});
