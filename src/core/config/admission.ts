// Configuration of admission control (AIRLOCK_CONCURRENCY, AIRLOCK_TENANT_*, AIRLOCK_QUEUE_WAIT_MS):
// how many executions run at once, globally and per tenant, and how long callers queue for a slot.
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface AdmissionConfig {
  /** Executions running at once across all tenants. */
  globalConcurrency: number;
  /** Executions running at once for one tenant. */
  tenantConcurrency: number;
  /** Longest a caller waits for a slot before a 429, ms. */
  maxWaitMs: number;
  /** Longest per-tenant wait queue; beyond it callers get a 429 at once. */
  maxQueuePerTenant: number;
}

/** As read; loadConfig caps tenantConcurrency at globalConcurrency once every section is read. */
export function admissionFrom(env: Env): AdmissionConfig {
  return {
    globalConcurrency: int(env, 'AIRLOCK_CONCURRENCY', 32, 1),
    tenantConcurrency: int(env, 'AIRLOCK_TENANT_CONCURRENCY', 8, 1),
    maxWaitMs: int(env, 'AIRLOCK_QUEUE_WAIT_MS', 5_000, 0, TIMER_MAX_MS),
    maxQueuePerTenant: int(env, 'AIRLOCK_TENANT_QUEUE', 1_000, 0),
  };
}
