import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { driverCsr, spiffeIdOf } from './fixtures';
import { ensureApproverBuilt, startApprover, type ApproverProcess } from './harness';
import { createAs, statusWrites, waitForDecision } from './requests';

let sim: KubeSim;
let approver: ApproverProcess;
let csrPem: string;

beforeAll(async () => {
  ensureApproverBuilt();
  sim = await startKubeSim();
  csrPem = await driverCsr(spiffeIdOf('sandbox', 'app'));
  approver = await startApprover(sim);
  await approver.waitForLog((l) => l.msg === 'became leader; deciding pending requests');
}, 240_000);

afterAll(async () => {
  await approver?.stop('SIGKILL');
  await sim?.close();
});

describe('approver under API faults', () => {
  it('misses nothing when watches drop and the history is compacted (410 Gone)', async () => {
    const before = await Promise.all(
      Array.from({ length: 5 }, () => createAs(sim, 'app', { csrPem })),
    );
    sim.faults.compact();
    sim.faults.dropWatches();
    // Created while the approver re-lists: only a relist after 410 can find these.
    const during = await Promise.all(
      Array.from({ length: 5 }, () => createAs(sim, 'app', { csrPem })),
    );
    sim.faults.dropWatches();
    const after = await Promise.all(
      Array.from({ length: 5 }, () => createAs(sim, 'app', { csrPem })),
    );
    const all = [...before, ...during, ...after];
    await Promise.all(all.map((cr) => waitForDecision(sim, cr, 30_000)));
    await new Promise((r) => setTimeout(r, 300));
    for (const cr of all) expect(statusWrites(sim, cr)).toBe(1);
  }, 90_000);

  it('retries failed status writes and re-reads on conflicts, writing one decision', async () => {
    sim.faults.conflictNextStatusWrites(2);
    const conflicted = await createAs(sim, 'app', { csrPem });
    expect((await waitForDecision(sim, conflicted)).type).toBe('Approved');

    sim.faults.failRequests({
      status: 500,
      count: 2,
      match: (method, path) => method === 'PUT' && path.endsWith('/status'),
    });
    const failed = await createAs(sim, 'app', { csrPem });
    expect((await waitForDecision(sim, failed)).type).toBe('Approved');
    expect(statusWrites(sim, failed)).toBe(1);
    expect(
      approver.logs.some((l) => l.msg === 'writing the decision failed' && l.willRetry === true),
    ).toBe(true);
  }, 90_000);

  it('is not ready while the API server is unreachable, and becomes ready when it is back', async () => {
    await sim.faults.goDown();
    const late = await startApprover(sim);
    try {
      const res = await fetch(`http://127.0.0.1:${late.readinessPort}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: Record<string, { status: string }> };
      expect(body.error['informer-synced'].status).toBe('down');
      expect((await fetch(`http://127.0.0.1:${late.readinessPort}/livez`)).status).toBe(200);
      await sim.faults.comeUp();
      await expect.poll(() => late.isReady(), { timeout: 30_000 }).toBe(true);
    } finally {
      await sim.faults.comeUp();
      await late.stop('SIGKILL');
    }
  }, 90_000);
});
