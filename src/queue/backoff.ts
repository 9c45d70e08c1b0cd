// Retry policy of the queue, pure: exponential backoff with jitter, and what becomes of an item
// after a failed attempt (queued again later, dead after its last attempt, or failed for good).
// Every queue store implementation uses these, so SQLite and Postgres behave the same.

export interface BackoffPolicy {
  /** Delay before the first retry, ms (before jitter). */
  baseMs: number;
  /** Longest delay between attempts, ms. */
  maxMs: number;
}

/**
 * Delay before the retry that follows `failures` failed attempts (>= 1): the exponential delay
 * d = min(maxMs, baseMs * 2^(failures-1)) with "equal jitter", uniformly in [d/2, d]. The jitter
 * spreads retries of items that failed together; the floor keeps the growth.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(failures) - 1);
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 52));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(d / 2 + (d / 2) * r);
}

export type AfterFailure =
  | { status: 'queued'; runAfter: number }
  | { status: 'dead' }
  | { status: 'failed' };

/**
 * Fate of an item whose attempt just failed. `attempts` already counts this failure.
 * Not retryable → failed; attempts used up → dead (the dead-letter state); else queued again.
 */
export function afterFailure(
  attempts: number,
  maxAttempts: number,
  retryable: boolean,
  now: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): AfterFailure {
  if (!retryable) return { status: 'failed' };
  if (attempts >= maxAttempts) return { status: 'dead' };
  return { status: 'queued', runAfter: now + backoffDelay(attempts, policy, random) };
}
