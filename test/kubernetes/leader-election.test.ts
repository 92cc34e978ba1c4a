import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EventRecorder,
  LeaseLeaderElector,
  type LeaderElectionOptions,
} from '@spiffe-csi/kubernetes';
import { startSimWithConnection, type SimContext } from './helpers';
import { eventually } from '../support/eventually';

let ctx: SimContext;
let leaseNo = 0;
const electors: LeaseLeaderElector[] = [];

beforeAll(async () => {
  ctx = await startSimWithConnection();
});
afterAll(() => ctx.close());
afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop({ release: false })));
});

interface Candidate {
  elector: LeaseLeaderElector;
  started: number;
  stopped: number;
}

function candidates(
  identities: string[],
  extra: Partial<LeaderElectionOptions> = {},
): { lease: string; all: Candidate[] } {
  const lease = `lease-${++leaseNo}`;
  const recorder = new EventRecorder(ctx.conn, { component: 'approver' });
  const all = identities.map((identity) => {
    const c: Candidate = { started: 0, stopped: 0 } as Candidate;
    c.elector = new LeaseLeaderElector(ctx.conn, {
      name: lease,
      namespace: 'cert-manager',
      identity,
      leaseDurationMs: 1_000,
      renewDeadlineMs: 600,
      retryPeriodMs: 100,
      onStartedLeading: () => c.started++,
      onStoppedLeading: () => c.stopped++,
      eventRecorder: recorder,
      ...extra,
    });
    electors.push(c.elector);
    return c;
  });
  return { lease, all };
}

const leaders = (all: Candidate[]) => all.filter((c) => c.elector.isLeader());
const storedLease = (name: string) =>
  ctx.sim.store.get('leases', 'cert-manager', name) as
    { spec: Record<string, unknown> } | undefined;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('LeaseLeaderElector against kube-sim', () => {
  it('elects exactly one of two candidates and keeps renewing in MicroTime', async () => {
    const { lease, all } = candidates(['a', 'b']);
    all.forEach((c) => c.elector.start());
    const [leader] = await eventually(
      () => (leaders(all).length ? leaders(all) : undefined),
      5_000,
      'a leader',
    );
    const firstRenew = storedLease(lease)?.spec.renewTime as string;
    await eventually(() => storedLease(lease)?.spec.renewTime !== firstRenew, 5_000, 'a renewal');
    expect(leaders(all)).toEqual([leader]);
    const spec = storedLease(lease)!.spec;
    expect(spec.holderIdentity).toBe(leader.elector === all[0].elector ? 'a' : 'b');
    expect(spec.leaseDurationSeconds).toBe(1);
    expect(spec.renewTime).toMatch(MICRO_TIME);
    expect(spec.acquireTime).toMatch(MICRO_TIME);
    await eventually(
      () => all.every((c) => c.elector.currentLeader() === spec.holderIdentity),
      5_000,
      'both know the leader',
    );
    expect(leader.started).toBe(1);
  });

  it('release on stop hands over to the other candidate', async () => {
    const { lease, all } = candidates(['first', 'second'], {
      leaseDurationMs: 30_000,
      renewDeadlineMs: 600,
    });
    all[0].elector.start();
    await eventually(() => all[0].elector.isLeader(), 5_000, 'first leads');
    all[1].elector.start();
    await new Promise((r) => setTimeout(r, 250));
    expect(all[1].elector.isLeader()).toBe(false);

    await all[0].elector.stop();
    expect(all[0]).toMatchObject({ started: 1, stopped: 1 });
    expect(all[0].elector.isLeader()).toBe(false);
    // With a 30 s lease only the release (empty holder) lets the successor in within the wait.
    await eventually(() => all[1].elector.isLeader(), 5_000, 'second takes over');
    expect(storedLease(lease)?.spec).toMatchObject({
      holderIdentity: 'second',
      leaseTransitions: 1,
    });
  });

  it('a leader that stops renewing is replaced only after the lease expires; events are recorded', async () => {
    const { lease, all } = candidates(['crashy', 'patient']);
    all[0].elector.start();
    await eventually(() => all[0].elector.isLeader(), 5_000, 'crashy leads');
    all[1].elector.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(all[1].elector.isLeader()).toBe(false);

    const killedAt = Date.now();
    await all[0].elector.stop({ release: false });
    expect(storedLease(lease)?.spec.holderIdentity).toBe('crashy');
    await eventually(() => all[1].elector.isLeader(), 5_000, 'patient takes over');
    // The successor must have waited for (most of) the 1 s lease it last saw renewed.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(500);
    expect(storedLease(lease)?.spec.holderIdentity).toBe('patient');

    const messages = await eventually(
      () => {
        const events = ctx.sim.store.list('events', 'cert-manager') as unknown as {
          involvedObject: { name: string; kind: string };
          message: string;
          reason: string;
        }[];
        const mine = events.filter(
          (e) =>
            e.involvedObject.name === lease &&
            e.involvedObject.kind === 'Lease' &&
            e.reason === 'LeaderElection',
        );
        return mine.length >= 3 ? mine.map((e) => e.message).sort() : undefined;
      },
      5_000,
      'leader events',
    );
    expect(messages).toEqual([
      'crashy became leader',
      'crashy stopped leading',
      'patient became leader',
    ]);
  });

  it('rejects inconsistent timings', () => {
    const base = { name: 'x', namespace: 'y', identity: 'z' };
    expect(
      () =>
        new LeaseLeaderElector(ctx.conn, {
          ...base,
          leaseDurationMs: 1_000,
          renewDeadlineMs: 1_000,
        }),
    ).toThrow(/leaseDuration/);
    expect(
      () =>
        new LeaseLeaderElector(ctx.conn, { ...base, renewDeadlineMs: 1_000, retryPeriodMs: 1_000 }),
    ).toThrow(/renewDeadline/);
  });
});
