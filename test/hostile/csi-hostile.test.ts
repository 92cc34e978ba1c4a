import { existsSync, readdirSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawUnary } from '../conformance/raw-grpc';
import { IS_ROOT, startStack, type Stack } from '../e2e/stack';
import { expectNoSecretsLogged, mountsUnder, VERBOSE, volumeDirs } from '../faults/volume-checks';
import { generateHostileRequests, HOSTILE_KINDS, type HostileCase } from './csi-requests';
import { SecretLedger } from './secret-ledger';

if (!IS_ROOT) console.warn('test/hostile: not root — skipping the CSI hostile-input test (the built driver mounts a tmpfs)');

const SEED = 0x5eed_c51;
const COUNT = 1_000;
const CONCURRENCY = 16;

describe.skipIf(!IS_ROOT)(`${COUNT} generated hostile CSI requests against the built driver`, () => {
  let stack: Stack;
  let ledger: SecretLedger;
  beforeAll(async () => {
    stack = await startStack({ driverArgs: VERBOSE, approverArgs: VERBOSE });
    ledger = SecretLedger.recordingTokensOf(stack.sim);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  async function send(c: HostileCase): Promise<{ code: status; details: string }> {
    if (c.call.rpc === 'raw') return rawUnary(`unix://${stack.socketPath}`, c.call.method, c.call.body);
    return stack.csi.node[c.call.rpc](c.call.request).then(
      () => ({ code: status.OK, details: '' }),
      (e: { code: status; details: string }) => e,
    );
  }

  it('answers each with the right status code, never crashes, leaks no dir, mount or secret', async () => {
    const cases = generateHostileRequests(COUNT, SEED, {
      pod: (spec) => stack.pod(spec),
      mintToken: (ns, sa, o) => stack.sim.serviceAccountToken(ns, sa, o),
      podsDir: stack.podsDir,
    });
    for (const c of cases) c.forgedTokens.forEach((t) => ledger.addToken(t));
    expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(HOSTILE_KINDS));

    const wrong: string[] = [];
    const queue = [...cases];
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const got = await send(c);
        if (!c.expected.includes(got.code)) wrong.push(`#${c.index} ${c.kind}: expected ${c.expected.join('|')}, got ${got.code} ${got.details}`);
        if (got.code !== status.OK && !got.details) wrong.push(`#${c.index} ${c.kind}: code ${got.code} without a message`);
      }
    }));
    expect(wrong).toEqual([]);

    // Still alive and serving, nothing left behind on the node.
    expect(stack.driver.child.exitCode).toBeNull();
    expect(await stack.csi.identity.Probe({})).toEqual({ ready: { value: true } });
    expect(volumeDirs(stack.dataRoot)).toEqual([]);
    expect(mountsUnder(stack.workDir)).toEqual([stack.dataRoot]);
    const podsLeft = existsSync(stack.podsDir) ? readdirSync(stack.podsDir, { recursive: true }) : [];
    expect(podsLeft).toEqual([]);
    expectNoSecretsLogged(stack, ledger);
  }, 180_000);
});
