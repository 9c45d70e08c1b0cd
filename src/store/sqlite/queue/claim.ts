// claim() for SQLite, run inside one IMMEDIATE transaction (the write lock is taken first, so two
// connections on the same file never plan from the same state): expired leases become failed
// attempts, demand is read, the pure stride planner decides, and exactly its picks are claimed.
import type { Database } from 'better-sqlite3';
import { afterFailure } from '../../../queue/backoff.js';
import type { Claimed, Lane, QueuePolicy } from '../../../queue/port.js';
import { planClaims } from '../../../scheduler/stride.js';
import { LANES } from '../../../scheduler/stride.js';
import type { TenantDemand } from '../../../scheduler/stride.js';
import { MARK_RUNNING, PICK_READY } from '../statements/queue/claim.js';
import { EXPIRED_LEASES, FINISH_ATTEMPT } from '../statements/queue/attempt.js';
import {
  GET_PASS,
  GET_VTIME,
  QUEUED_TENANTS,
  READY_COUNT,
  RUNNING_COUNTS,
  SET_PASS,
  SET_VTIME,
} from '../statements/queue/demand.js';
import { rowToItem } from './rows.js';
import { lostRunValues } from './lost-run.js';
import type { LeaseEnd } from './lost-run.js';
import { INSERT_EXECUTION } from '../statements/insert-execution.js';
import type { ExecutionValues } from '../rows.js';
import type { QueueItemRow } from './rows.js';

type Count = { tenant: string; lane: string; n: number };

export interface ClaimContext {
  policy: QueuePolicy;
  now: () => number;
  random: () => number;
}

export function prepareClaim(db: Database) {
  return {
    expired: db.prepare<[number], QueueItemRow>(EXPIRED_LEASES),
    finishAttempt: db.prepare<[string, number, number, string | null, number | null, number, number, number], QueueItemRow>(
      FINISH_ATTEMPT,
    ),
    queuedTenants: db.prepare<[], { tenant: string }>(QUEUED_TENANTS),
    readyCount: db.prepare<[string, string, number, number], { n: number }>(READY_COUNT),
    running: db.prepare<[], Count>(RUNNING_COUNTS),
    getPass: db.prepare<[string], { pass: number }>(GET_PASS),
    setPass: db.prepare<[string, number]>(SET_PASS),
    getVtime: db.prepare<[], { vtime: number }>(GET_VTIME),
    setVtime: db.prepare<[number]>(SET_VTIME),
    pick: db.prepare<[string, string, number, number], { seq: number }>(PICK_READY),
    markRunning: db.prepare<[string, number, number, number, number], QueueItemRow>(MARK_RUNNING),
    insertLostRun: db.prepare<ExecutionValues>(INSERT_EXECUTION),
  };
}

export type ClaimStatements = ReturnType<typeof prepareClaim>;
export type FinishAttempt = ClaimStatements['finishAttempt'];

/** Records a failed attempt of a running row (its own failure or a crash); returns the new row. */
export function failAttempt(
  finish: FinishAttempt,
  row: QueueItemRow,
  error: string,
  retryable: boolean,
  ctx: ClaimContext,
  countsAttempt = true,
): QueueItemRow | undefined {
  const now = ctx.now();
  const attempts = row.attempts + (countsAttempt ? 1 : 0);
  const backoff = { baseMs: ctx.policy.backoffBaseMs, maxMs: ctx.policy.backoffMaxMs };
  const fate = afterFailure(attempts, row.max_attempts, retryable, now, backoff, ctx.random);
  const runAfter = fate.status === 'queued' ? fate.runAfter : row.run_after;
  const finishedAt = fate.status === 'queued' ? null : now;
  return finish.get(fate.status, attempts, runAfter, error, finishedAt, now, row.seq, row.fence);
}

/**
 * Ends the lease of a running item whose holder is gone or silent: a crashed attempt, and the
 * execution record of the run it had started, if any (lost-run.ts), in the caller's transaction.
 * Returns the item's new row (queued again, or dead after its last attempt); undefined when the
 * item had changed meanwhile.
 */
export function endLeaseWithoutHolder(s: ClaimStatements, row: QueueItemRow, end: LeaseEnd, ctx: ClaimContext): QueueItemRow | undefined {
  const lost = lostRunValues(row, end);
  const after = failAttempt(s.finishAttempt, row, JSON.stringify(end), true, ctx);
  if (after === undefined) return undefined;
  if (lost !== undefined) s.insertLostRun.run(...lost);
  return after;
}

/** Ends the expired leases; the rows that became dead are pushed on `dead`. */
function reapExpired(s: ClaimStatements, ctx: ClaimContext, dead: QueueItemRow[]): void {
  for (const row of s.expired.all(ctx.now())) {
    const message = `the lease of run ${row.fence} (owner ${row.lease_owner ?? 'unknown'}) expired before it finished; counted as a crashed attempt`;
    const after = endLeaseWithoutHolder(s, row, { code: 'LEASE_EXPIRED', message }, ctx);
    if (after?.status === 'dead') dead.push(after);
  }
}

/**
 * The failed attempt of a run whose lease holder is known to be dead (expireLeases): not an
 * expiry, the server that ran it is gone. Kept apart from LEASE_EXPIRED, which may also mean a
 * server that hung or lost its database for longer than the lease.
 */
export function serverGoneError(row: QueueItemRow): LeaseEnd {
  return {
    code: 'SERVER_GONE',
    message:
      `the server running run ${row.fence} (lease owner ${row.lease_owner ?? 'unknown'}) stopped or crashed while the run was ` +
      'in progress; a server started on the same machine found it gone and ended its lease without waiting for it to ' +
      'expire; counted as a crashed attempt',
  };
}

function capOf(policy: QueuePolicy, tenant: string): number {
  return Object.hasOwn(policy.tenantCaps, tenant) ? (policy.tenantCaps[tenant] ?? policy.tenantConcurrency) : policy.tenantConcurrency;
}

function weightOf(policy: QueuePolicy, tenant: string): number {
  return Object.hasOwn(policy.tenantWeights, tenant) ? (policy.tenantWeights[tenant] ?? 1) : 1;
}

/**
 * The body of claim(); call it inside an IMMEDIATE transaction. Items whose expired lease was
 * their last attempt are pushed on `dead` (to be told once the transaction commits).
 */
export function claimInTransaction(
  s: ClaimStatements,
  ctx: ClaimContext,
  owner: string,
  max: number,
  leaseMs: number,
  dead: QueueItemRow[] = [],
  laneMax: Partial<Record<Lane, number>> = {},
): Claimed[] {
  reapExpired(s, ctx, dead);
  const now = ctx.now();
  const limit = Math.max(0, Math.floor(max));
  if (limit === 0) return [];
  const running: Record<Lane, number> = { interactive: 0, background: 0 };
  const runningByTenant = new Map<string, number>();
  for (const c of s.running.all()) {
    running[c.lane as Lane] += c.n;
    runningByTenant.set(c.tenant, (runningByTenant.get(c.tenant) ?? 0) + c.n);
  }
  const demand = new Map<string, TenantDemand>();
  for (const { tenant } of s.queuedTenants.all()) {
    const ready: Record<Lane, number> = { interactive: 0, background: 0 };
    for (const lane of LANES) ready[lane] = s.readyCount.get(tenant, lane, now, limit)?.n ?? 0;
    if (ready.interactive + ready.background === 0) continue;
    demand.set(tenant, {
      tenant,
      weight: weightOf(ctx.policy, tenant),
      pass: s.getPass.get(tenant)?.pass,
      ready,
      running: runningByTenant.get(tenant) ?? 0,
      cap: capOf(ctx.policy, tenant),
    });
  }
  if (demand.size === 0) return [];
  const vtime = s.getVtime.get()?.vtime ?? 0;
  const plan = planClaims(
    [...demand.values()],
    { slots: ctx.policy.slots, interactiveReserved: ctx.policy.interactiveReserved, running },
    vtime,
    limit,
    laneMax,
  );
  for (const [tenant, pass] of plan.passes) s.setPass.run(tenant, pass);
  if (plan.vtime !== vtime) s.setVtime.run(plan.vtime);

  const claimed: Claimed[] = [];
  const expiresAt = now + leaseMs;
  // Consecutive picks of the same tenant and lane are taken with one query.
  let i = 0;
  while (i < plan.picks.length) {
    const pick = plan.picks[i]!;
    let n = 1;
    while (plan.picks[i + n]?.tenant === pick.tenant && plan.picks[i + n]?.lane === pick.lane) n++;
    for (const { seq } of s.pick.all(pick.tenant, pick.lane, now, n)) {
      const row = s.markRunning.get(owner, expiresAt, now, now, seq);
      if (row === undefined) continue;
      const item = rowToItem(row);
      claimed.push({ item, lease: { tenant: item.tenant, id: item.id, fence: item.fence } });
    }
    i += n;
  }
  return claimed;
}
