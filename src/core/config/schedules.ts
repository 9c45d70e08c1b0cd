// Configuration of schedules (AIRLOCK_SCHEDULES, AIRLOCK_SCHEDULE_*; docs/schedules.md): whether
// this server fires them, polling, the shortest interval, the per-tenant cap, and the lease on a
// claimed occurrence.
import { int, oneOf, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface SchedulesConfig {
  /**
   * AIRLOCK_SCHEDULES=paused: this server fires no occurrence (schedules can still be read and
   * changed); for a restored copy of a database that must not repeat production's scheduled jobs.
   */
  paused: boolean;
  /** How often a server looks for due schedules at most, ms (it also wakes at the next due one). */
  pollMs: number;
  /** Shortest time between two occurrences of one schedule, seconds. */
  minIntervalSeconds: number;
  /** Most schedules one tenant may have. */
  perTenant: number;
  /** A claimed occurrence not settled within this long is taken over by another server, ms. */
  claimLeaseMs: number;
}

export function schedulesFrom(env: Env): SchedulesConfig {
  return {
    paused: oneOf(env, 'AIRLOCK_SCHEDULES', ['on', 'paused'] as const, 'on') === 'paused',
    pollMs: int(env, 'AIRLOCK_SCHEDULE_POLL_MS', 1_000, 1, TIMER_MAX_MS),
    minIntervalSeconds: int(env, 'AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS', 10, 1),
    perTenant: int(env, 'AIRLOCK_SCHEDULES_PER_TENANT', 100, 1),
    claimLeaseMs: int(env, 'AIRLOCK_SCHEDULE_CLAIM_LEASE_MS', 30_000, 100),
  };
}
