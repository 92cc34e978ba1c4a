import type { GeneratedKey, KeyAlgorithm } from '@spiffe-csi/crypto';
import { describe, expect, it } from 'vitest';
import { KeyPool } from './key-pool';

/** A generator whose keys are numbered, resolving when the test says so. */
function controlledGenerator() {
  const waiting: ((key: GeneratedKey) => void)[] = [];
  let made = 0;
  const generate = (algorithm: KeyAlgorithm) =>
    new Promise<GeneratedKey>((resolve) => {
      const n = ++made;
      waiting.push(() => resolve({ algorithm, privateKeyPem: `key-${n}` } as GeneratedKey));
    });
  return {
    generate,
    finishAll: async () => {
      waiting.splice(0).forEach((f) => f({} as GeneratedKey));
      await new Promise((r) => setImmediate(r));
    },
    made: () => made,
  };
}

describe('KeyPool', () => {
  it('fills up to its size at once, hands each key out once, and refills only after a take', async () => {
    const gen = controlledGenerator();
    const pool = new KeyPool('ecdsa-p521', 2, gen.generate);
    expect(gen.made()).toBe(2);
    await gen.finishAll();
    expect(pool.available).toBe(2);
    const a = await pool.take();
    const b = await pool.take();
    expect([a.privateKeyPem, b.privateKeyPem]).toEqual(['key-1', 'key-2']);
    expect(gen.made()).toBe(4); // two refills started, no more while idle
    await gen.finishAll();
    expect(gen.made()).toBe(4);
    expect(pool.available).toBe(2);
  });

  it('generates on demand when empty, and survives a failed background generation', async () => {
    let calls = 0;
    const pool = new KeyPool('ecdsa-p256', 1, async (algorithm) => {
      calls++;
      if (calls === 1) throw new Error('entropy hiccup');
      return { algorithm, privateKeyPem: `k${calls}` } as GeneratedKey;
    });
    await new Promise((r) => setImmediate(r));
    expect(pool.available).toBe(0);
    const key = await pool.take();
    expect(key.algorithm).toBe('ecdsa-p256');
    await new Promise((r) => setImmediate(r));
    expect(pool.available).toBe(1);
  });

  it('makes real, distinct keys with the default generator', async () => {
    const pool = new KeyPool('ecdsa-p256', 2);
    const keys = await Promise.all([pool.take(), pool.take(), pool.take()]);
    expect(new Set(keys.map((k) => k.privateKeyPem)).size).toBe(3);
    expect(keys.every((k) => k.algorithm === 'ecdsa-p256')).toBe(true);
  });
});
