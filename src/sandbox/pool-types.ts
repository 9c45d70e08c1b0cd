// What the sandbox pool (pool.ts) hands out and reports: a caller's request for a sandbox, the
// lease on one, and the pool's counts for metrics and tests.
import type { IsolationScope, StartKind } from '../core/types.js';
import type { Sandbox } from './port.js';

export interface AcquireRequest {
  tenant: string;
  functionName: string;
  scope: IsolationScope;
  memoryMiB: number;
  /**
   * The run may queue inside a busy warm sandbox behind the one in progress. Only for runs nobody
   * could see happen twice (no egress, no checkpoints): if that sandbox ends before the run
   * starts, the caller runs it again elsewhere (SandboxRunOutcome.notStarted).
   */
  queueable?: boolean;
}

export interface Lease {
  sandbox: Sandbox;
  start: StartKind;
  /** Hands the sandbox back; `reusable: false` (or a dead sandbox) destroys it. Idempotent. */
  release(reusable: boolean): void;
  /**
   * Set when the lease is a place in the queue of a busy sandbox: pass it as the run's
   * maxQueueWaitMs, so that a run ahead which goes on too long does not hold this one up.
   */
  readonly maxQueueWaitMs?: number;
}

export interface PoolStats {
  blank: number;
  idle: number;
  busy: number;
  spawning: number;
  /** Callers queued for a slot. */
  waiting: number;
  /** Calls waiting inside busy sandboxes behind the run in progress (PoolConfig.queueBehind). */
  queued: number;
  /** Every process counted against maxSandboxes (includes ones still exiting). */
  total: number;
  /** Idle (or blank) sandboxes destroyed since the start to make room under maxSandboxes. */
  evicted: number;
  /** Idle sandboxes retired since the start after idleTtlMs unused. */
  expired: number;
  /** Warm sandboxes retired since the start for using CPU outside their calls (background-watch.ts). */
  overworked: number;
}
