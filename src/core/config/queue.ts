// Configuration of the durable queue that jobs, webhooks and schedules run on (AIRLOCK_QUEUE_*;
// docs/queue.md): slots and the interactive reserve, per-tenant caps and weights, leases, retries,
// payload sizes, and the most unfinished items one tenant may hold.
import { AirlockError } from '../errors.js';
import { KiB } from '../limits.js';
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';
import type { AdmissionConfig } from './admission.js';

/** What capQueueByAdmission reads of the admission limits. */
type AdmissionLimits = Pick<AdmissionConfig, 'tenantConcurrency' | 'tenantConcurrencyOverrides'>;

export interface QueueConfig {
  /** Queue items that may run at once across all tenants and lanes. */
  slots: number;
  /** Of those slots, how many only interactive-lane work may use. */
  interactiveReserved: number;
  /**
   * Queue items one tenant may have running at once (both lanes): AIRLOCK_QUEUE_TENANT_CONCURRENCY,
   * lowered to the tenants' invocation limit when that is lower (capQueueByAdmission).
   */
  tenantConcurrency: number;
  /** The same for the tenants with their own invocation limit (AIRLOCK_TENANT_CONCURRENCY_OVERRIDES). */
  tenantCaps: Readonly<Record<string, number>>;
  /** Fair-share weight per tenant; tenants not listed weigh 1. */
  tenantWeights: Readonly<Record<string, number>>;
  /** Lease given to a claimed item; it must heartbeat or finish before it ends, ms. */
  leaseMs: number;
  /** Attempts (failures and crashes, not continuations) before an item is dead. */
  maxAttempts: number;
  /** Retry backoff: first delay and cap, ms (jitter picks in [d/2, d]). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Largest payload and checkpoint, bytes of JSON. */
  payloadBytes: number;
  checkpointBytes: number;
  /**
   * Most unfinished items (queued, waiting to retry or continue, running) one tenant may hold;
   * an enqueue past it is refused with TENANT_BACKLOG_FULL. 0: no cap.
   */
  tenantBacklog: number;
}

/** Parses AIRLOCK_QUEUE_TENANT_WEIGHTS: `tenant=weight` pairs separated by commas. */
function tenantWeights(env: Env, name: string): Record<string, number> {
  const raw = env[name];
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  if (raw === undefined || raw.trim() === '') return out;
  for (const part of raw.split(',')) {
    const [tenant, value, extra] = part.trim().split('=');
    const weight = Number(value);
    if (tenant === undefined || tenant === '' || extra !== undefined || !Number.isFinite(weight) || weight <= 0) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `${name} has an invalid entry ${JSON.stringify(part)}; write tenant=weight pairs with weights > 0, ` +
          'separated by commas, e.g. acme=2,globex=0.5',
      );
    }
    out[tenant] = weight;
  }
  return out;
}

/**
 * Room in a queue payload for what a job adds around its input (version, slice cap, deadline):
 * a job or webhook delivery whose input fits the function's inputBytes always fits the queue.
 */
export const JOB_ENVELOPE_BYTES = 4 * KiB;

/**
 * Default AIRLOCK_QUEUE_TENANT_BACKLOG: far above any honest burst (a day of one delivery a
 * second), low enough that a flood of one tenant's webhook stops at a bounded size on disk.
 */
export const DEFAULT_TENANT_BACKLOG = 100_000;

/** `maxInputBytes`: AIRLOCK_MAX_INPUT_BYTES; the payload cap must hold it and the job envelope. */
export function queueFrom(env: Env, maxInputBytes: number): QueueConfig {
  const slots = int(env, 'AIRLOCK_QUEUE_SLOTS', 8, 1);
  const interactiveReserved = int(env, 'AIRLOCK_QUEUE_INTERACTIVE_RESERVED', Math.min(2, slots - 1), 0);
  if (interactiveReserved >= slots) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_QUEUE_INTERACTIVE_RESERVED (${interactiveReserved}) must be below AIRLOCK_QUEUE_SLOTS (${slots}), ` +
        'or background work could never run; lower it or raise AIRLOCK_QUEUE_SLOTS',
    );
  }
  const backoffBaseMs = int(env, 'AIRLOCK_QUEUE_BACKOFF_BASE_MS', 1_000, 1);
  const backoffMaxMs = int(env, 'AIRLOCK_QUEUE_BACKOFF_MAX_MS', 300_000, 1);
  if (backoffMaxMs < backoffBaseMs) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_QUEUE_BACKOFF_MAX_MS (${backoffMaxMs}) is below AIRLOCK_QUEUE_BACKOFF_BASE_MS (${backoffBaseMs}); raise it`,
    );
  }
  const payloadFloor = maxInputBytes + JOB_ENVELOPE_BYTES;
  const payloadBytes = int(env, 'AIRLOCK_QUEUE_PAYLOAD_BYTES', payloadFloor, 1);
  if (payloadBytes < payloadFloor) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_QUEUE_PAYLOAD_BYTES (${payloadBytes}) must hold the largest input (AIRLOCK_MAX_INPUT_BYTES, ${maxInputBytes}) ` +
        `and ${JOB_ENVELOPE_BYTES} bytes of job fields: raise it to at least ${payloadFloor}, or unset it`,
    );
  }
  return {
    slots,
    interactiveReserved,
    tenantConcurrency: Math.min(slots, int(env, 'AIRLOCK_QUEUE_TENANT_CONCURRENCY', 4, 1)),
    tenantCaps: {},
    tenantWeights: tenantWeights(env, 'AIRLOCK_QUEUE_TENANT_WEIGHTS'),
    leaseMs: int(env, 'AIRLOCK_QUEUE_LEASE_MS', 30_000, 100, TIMER_MAX_MS),
    maxAttempts: int(env, 'AIRLOCK_QUEUE_MAX_ATTEMPTS', 5, 1),
    backoffBaseMs,
    backoffMaxMs,
    payloadBytes,
    checkpointBytes: int(env, 'AIRLOCK_QUEUE_CHECKPOINT_BYTES', 256 * KiB, 1),
    tenantBacklog: int(env, 'AIRLOCK_QUEUE_TENANT_BACKLOG', DEFAULT_TENANT_BACKLOG, 0),
  };
}

/**
 * Every running queue item holds one of its tenant's admission slots (AIRLOCK_TENANT_CONCURRENCY,
 * or the tenant's entry in AIRLOCK_TENANT_CONCURRENCY_OVERRIDES), so claiming more of a tenant's
 * items than that only makes the extra ones wait for a slot and go back to the queue: each
 * tenant's queue cap is the lower of the two. Call it once the admission limits are capped.
 */
export function capQueueByAdmission(queue: QueueConfig, admission: AdmissionLimits): void {
  const asked = queue.tenantConcurrency;
  queue.tenantConcurrency = Math.min(asked, admission.tenantConcurrency);
  const caps: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [tenant, limit] of Object.entries(admission.tenantConcurrencyOverrides)) caps[tenant] = Math.min(asked, limit);
  queue.tenantCaps = caps;
}
