import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('de-duplicates keys that are waiting', async () => {
    const seen: string[] = [];
    const gate = deferred();
    const queue = new WorkQueue(
      async (key) => {
        seen.push(key);
        await gate.promise;
      },
      { concurrency: 1 },
    );
    queue.add('a'); // runs at once, blocks on the gate
    queue.add('b');
    queue.add('b');
    queue.add('c');
    queue.add('b');
    gate.resolve();
    await queue.idle();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('never runs more than `concurrency` keys, nor one key twice at once', async () => {
    let running = 0;
    let peak = 0;
    const perKey = new Map<string, number>();
    const queue = new WorkQueue(
      async (key) => {
        running++;
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        expect(perKey.get(key)).toBe(1);
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        perKey.set(key, (perKey.get(key) ?? 0) - 1);
        running--;
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 20; i++) queue.add(`k${i % 7}`);
    await queue.idle();
    expect(peak).toBe(3);
  });

  it('runs a key once more when it is re-added while running', async () => {
    const seen: string[] = [];
    const gate = deferred();
    const queue = new WorkQueue(
      async (key) => {
        seen.push(key);
        if (seen.length === 1) await gate.promise;
      },
      { concurrency: 2 },
    );
    queue.add('a');
    queue.add('a');
    queue.add('a');
    gate.resolve();
    await queue.idle();
    await queue.idle();
    expect(seen).toEqual(['a', 'a']);
  });

  it('retries failures with backoff, then gives up and reports', async () => {
    let attempts = 0;
    const errors: boolean[] = [];
    const queue = new WorkQueue(
      async () => {
        attempts++;
        throw new Error('conflict');
      },
      {
        concurrency: 1,
        retryDelayMs: () => 1,
        maxRetries: 2,
        onError: (_k, _e, retry) => errors.push(retry),
      },
    );
    queue.add('a');
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(3);
    expect(errors).toEqual([true, true, false]);
  });

  it('drops queued work on stop', async () => {
    const seen: string[] = [];
    const gate = deferred();
    const queue = new WorkQueue(
      async (key) => {
        seen.push(key);
        await gate.promise;
      },
      { concurrency: 1 },
    );
    queue.add('a');
    queue.add('b');
    queue.stop();
    queue.add('c');
    gate.resolve();
    await queue.idle();
    expect(seen).toEqual(['a']);
  });
});
