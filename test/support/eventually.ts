/**
 * The one polling helper of the tests, the demo and the bench. It is not vi.waitFor because the
 * demo and the bench run under plain tsx, where vitest cannot be loaded ("Vitest cannot be
 * imported in a CommonJS module"), and they share the approver and stack helpers with the tests.
 *
 * `check` answers "not yet" with undefined, null or false, or by throwing; anything else is the
 * result. The default timeout is generous: CI runs the suites on two loaded cores.
 */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const cause =
        last === undefined
          ? ''
          : ` (last error: ${last instanceof Error ? last.message : String(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, {
        cause: last,
      });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
