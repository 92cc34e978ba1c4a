import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { buildCsr, driverCsr, spiffeIdOf, USAGES, type CsrSpec } from './fixtures';
import { APPROVER_MAIN, ensureApproverBuilt, startApprover, type ApproverProcess } from './harness';
import {
  createAs,
  decisionOf,
  statusWrites,
  stored,
  waitForDecision,
  type StoredRequest,
} from './requests';

const ID = spiffeIdOf('sandbox', 'app');
let sim: KubeSim;
let approver: ApproverProcess;

beforeAll(async () => {
  ensureApproverBuilt();
  sim = await startKubeSim();
  approver = await startApprover(sim);
}, 240_000);

afterAll(async () => {
  await approver?.stop('SIGKILL');
  await sim?.close();
});

describe('approver process against kube-sim', () => {
  it('becomes ready, serving /readyz and /metrics on the logged ports', async () => {
    await expect.poll(() => approver.isReady(), { timeout: 30_000 }).toBe(true);
    // Ready means the election runs; holding the lease follows shortly after.
    await expect
      .poll(() => approver.metrics(), { timeout: 30_000 })
      .toContain('certmanager_csi_spiffe_approver_leader 1');
  });

  it('approves a valid request made with the ServiceAccount token', async () => {
    const cr = await createAs(sim, 'app', { csrPem: await driverCsr(ID) });
    expect(cr.spec.username).toBe('system:serviceaccount:sandbox:app');
    const condition = await waitForDecision(sim, cr);
    expect(condition).toMatchObject({
      type: 'Approved',
      status: 'True',
      reason: 'spiffe.csi.cert-manager.io',
      message: 'Approved request',
    });
    expect(Date.parse(condition.lastTransitionTime ?? '')).not.toBeNaN();
    const line = await approver.waitForLog(
      (l) => l.name === cr.metadata.name && l.result === 'approved',
    );
    expect(line).toMatchObject({ namespace: 'sandbox', reasons: [] });
    expect(await approver.metrics()).toMatch(
      /decisions_total\{result="approved",reason="none"\} [1-9]/,
    );
  });

  const denials: [string, CsrSpec | null, Record<string, unknown>, string][] = [
    ['P-256 key', { key: 'P-256', uris: [ID] }, {}, 'key must be ECDSA P-521, got ECDSA P-256'],
    ['bad signature', { uris: [ID], corruptSignature: true }, {}, 'CSR signature does not verify'],
    ['DNS SAN', { uris: [ID], dns: ['app.example'] }, {}, 'CSR must not contain DNS SANs'],
    [
      'basic constraints',
      { uris: [ID], basicConstraints: { ca: false } },
      {},
      'CSR extension basic constraints (2.5.29.19) is not allowed',
    ],
    [
      'another SA identity',
      { uris: [spiffeIdOf('sandbox', 'admin')] },
      {},
      `SPIFFE ID "${spiffeIdOf('sandbox', 'admin')}" does not match the requester; expected "${ID}"`,
    ],
    ['wrong duration', null, { duration: '2h' }, 'spec.duration must be 1h0m0s, got "2h"'],
    ['isCA', null, { isCA: true }, 'spec.isCA must be false'],
    [
      'extra usage',
      null,
      { usages: [...USAGES, 'cert sign'] },
      `spec.usages must be exactly [${USAGES.join(', ')}]: unexpected "cert sign"`,
    ],
  ];

  it.each(denials)('denies: %s', async (_name, csr, specOverrides, reason) => {
    const csrPem = csr ? await buildCsr(csr) : await driverCsr(ID);
    const cr = await createAs(sim, 'app', { csrPem, ...specOverrides });
    expect(await waitForDecision(sim, cr)).toMatchObject({
      type: 'Denied',
      status: 'True',
      reason: 'spiffe.csi.cert-manager.io',
      message: `Denied request: ${reason}`,
    });
  });

  it('lists every failed check in one denial and counts each failed rule', async () => {
    const cr = await createAs(sim, 'app', {
      csrPem: await buildCsr({ key: 'P-256', uris: [ID] }),
      duration: '24h',
    });
    expect((await waitForDecision(sim, cr)).message).toBe(
      'Denied request: key must be ECDSA P-521, got ECDSA P-256; spec.duration must be 1h0m0s, got "24h"',
    );
    const metrics = await approver.metrics();
    expect(metrics).toMatch(/decisions_total\{result="denied",reason="key-algorithm"\} [2-9]/);
    expect(metrics).toMatch(/decisions_total\{result="denied",reason="duration"\} [2-9]/);
    expect(metrics).toMatch(/decision_latency_seconds_count [1-9]/);
    expect(metrics).toMatch(/decision_latency_from_seen_seconds_count [1-9]/);
  });

  it('ignores requests for other issuers, whatever the identity', async () => {
    const csrPem = await driverCsr(ID);
    const others: StoredRequest[] = [];
    for (const issuerRef of [
      { name: 'other-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      { name: 'spiffe-ca', kind: 'Issuer', group: 'cert-manager.io' },
      { name: 'spiffe-ca' }, // kind defaults to Issuer
      { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'example.com' },
    ]) {
      others.push(await createAs(sim, 'app', { csrPem, issuerRef }));
    }
    // A request created after them is decided; by then the others have been seen and skipped.
    await waitForDecision(sim, await createAs(sim, 'app', { csrPem }));
    await new Promise((r) => setTimeout(r, 200));
    for (const cr of others) {
      expect(decisionOf(sim, cr)).toBeUndefined();
      expect(statusWrites(sim, cr)).toBe(0);
    }
  });

  it('decides each request exactly once, with no CSR body or token in the logs', async () => {
    const csrPem = await driverCsr(ID);
    const crs = await Promise.all(
      Array.from({ length: 20 }, () => createAs(sim, 'app', { csrPem })),
    );
    await Promise.all(crs.map((cr) => waitForDecision(sim, cr)));
    await new Promise((r) => setTimeout(r, 200));
    for (const cr of crs) expect(statusWrites(sim, cr)).toBe(1);
    const logText = JSON.stringify(approver.logs);
    expect(logText).not.toContain(String(stored(sim, crs[0])?.spec.request).slice(0, 40));
    expect(logText).not.toContain('BEGIN CERTIFICATE REQUEST');
    expect(logText).not.toContain(sim.adminToken);
  });
});

describe('approver startup errors', () => {
  it('exits 1 with a JSON error line for an unusable kubeconfig', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(
      process.execPath,
      [APPROVER_MAIN, '--kubeconfig=/nonexistent/kubeconfig'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.status).toBe(1);
    const fatal = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.level === 60);
    expect(fatal?.msg).toBe('approver failed to start');
    expect(run.stdout).toContain('kubeconfig file not found: /nonexistent/kubeconfig');
  });
});
