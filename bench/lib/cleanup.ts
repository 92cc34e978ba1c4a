// Everything a benchmark starts registers how to undo it here, so processes, mounts and temp dirs
// go away on success, on a thrown error and on Ctrl-C alike.

type Undo = () => Promise<unknown> | unknown;

const undos: { label: string; undo: Undo }[] = [];
let running: Promise<void> | undefined;

/** Registers `undo`; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(label: string, undo: Undo): () => Promise<void> {
  const entry = { label, undo };
  undos.push(entry);
  return async () => {
    const i = undos.indexOf(entry);
    if (i < 0) return;
    undos.splice(i, 1);
    await undo();
  };
}

/** Runs every registered undo, newest first; failures are reported, never fatal. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (undos.length > 0) {
      const { label, undo } = undos.pop()!;
      try {
        await undo();
      } catch (err) {
        console.error(`cleanup "${label}" failed: ${(err as Error).message}`);
      }
    }
  })().finally(() => (running = undefined));
  return running;
}

let exiting = false;

export function cleanupOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // `on`, not `once`: a group kill and a wrapper relaying it deliver the signal twice, and a
    // second one with no listener would kill us before the mounts are gone.
    process.on(signal, () => {
      if (exiting) return;
      exiting = true;
      console.error(`\n${signal}: cleaning up`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
