// Polling with a deadline for tests that wait on a value (a log line, a job's state): `until`
// calls `check` every `everyMs` until it answers something other than undefined, and answers that.
import assert from 'node:assert/strict';

/** Polls `check` until it returns a value, or fails with `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
