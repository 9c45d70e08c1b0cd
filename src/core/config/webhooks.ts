// Configuration of webhook deliveries (AIRLOCK_WEBHOOK_*; docs/webhooks.md): body and header caps,
// the ?wait cap, and the group commit (window, batch size, fsync or not).
import { KiB, MiB } from '../limits.js';
import { int, oneOf, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export type WebhookSync = 'full' | 'normal';

export interface WebhooksConfig {
  /** Largest delivery body accepted, bytes (larger: 413, nothing stored). */
  bodyBytes: number;
  /** Most headers kept from a delivery, and their total size in bytes (more: 431, nothing stored). */
  maxHeaders: number;
  headerBytes: number;
  /** Cap on ?wait=<ms>: longest a delivery waits for its function's result, ms. */
  maxWaitMs: number;
  /** Group commit: deliveries arriving within this window share one transaction, ms (0: those read in one event-loop turn). */
  commitWindowMs: number;
  /** Group commit: most deliveries in one transaction. */
  commitMaxBatch: number;
  /** `full`: every group commit is fsynced before its 202s (survives power loss); `normal`: survives a crashed server, not a crashed machine. */
  sync: WebhookSync;
}

export function webhooksFrom(env: Env): WebhooksConfig {
  return {
    bodyBytes: int(env, 'AIRLOCK_WEBHOOK_BODY_BYTES', MiB, 1),
    maxHeaders: int(env, 'AIRLOCK_WEBHOOK_MAX_HEADERS', 100, 1),
    headerBytes: int(env, 'AIRLOCK_WEBHOOK_HEADER_BYTES', 16 * KiB, 1),
    maxWaitMs: int(env, 'AIRLOCK_WEBHOOK_MAX_WAIT_MS', 10_000, 0, TIMER_MAX_MS),
    commitWindowMs: int(env, 'AIRLOCK_WEBHOOK_COMMIT_MS', 0, 0, TIMER_MAX_MS),
    commitMaxBatch: int(env, 'AIRLOCK_WEBHOOK_COMMIT_BATCH', 512, 1),
    sync: oneOf(env, 'AIRLOCK_WEBHOOK_SYNC', ['full', 'normal'] as const, 'full'),
  };
}
