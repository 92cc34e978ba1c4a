// Runs every registered teardown exactly once, newest first — on success, failure or a signal.
export class Cleanup {
  private readonly tasks: (() => Promise<unknown>)[] = [];
  private running?: Promise<void>;

  add(task: () => Promise<unknown>): void {
    this.tasks.unshift(task);
  }

  /** Registers the stop of something still starting: cleanup waits for it to settle, then stops it. */
  track<T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<T> {
    this.add(async () => (await starting.catch(() => undefined))?.stop());
    return starting;
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const task of this.tasks) await task().catch(() => undefined);
    })();
    return this.running;
  }
}

/** Calls `onSignal` on the first SIGINT/SIGTERM; later ones are ignored so cleanup can finish. */
export function onFirstSignal(onSignal: (signal: NodeJS.Signals) => void): void {
  let seen = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (!seen) onSignal(signal);
      seen = true;
    });
  }
}
