// A pool entry (one sandbox and what the pool knows of it), a caller waiting for one, the key
// that binds warm sandboxes to callers, and the pool's shutdown error.
import { AirlockError } from '../core/errors.js';
import type { AcquireRequest, Lease } from './pool-types.js';
import type { Sandbox } from './port.js';

export type EntryState = 'blank' | 'idle' | 'busy' | 'closing';

export interface Entry {
  sandbox: Sandbox;
  state: EntryState;
  /** Binding for life; null while blank or for scope 'execution' (never reused). */
  key: string | null;
  /** Tenant it ran for (any scope); null while blank. */
  tenant: string | null;
  executions: number;
  /** Leases out on this sandbox: the run in progress and any queued behind it. */
  leases: number;
  /**
   * Calls may queue behind its current leases: they were all queueable. A job run or a call with
   * egress (which may run long, e.g. waiting on the network) keeps its sandbox to itself.
   */
  shared: boolean;
  /** Pool-wide use counter at the last acquire/release: orders LRU without clock ties. */
  lastUsed: number;
  /** Epoch ms when the sandbox last went idle (for the idle TTL sweep). */
  idleSince: number;
  /** Wall time it spent busy before its current busy spell, ms, and when that spell began (performance.now()). */
  busyMs: number;
  busySince: number;
  /** Found working outside its calls (background-watch.ts): retired as soon as it is idle. */
  overworked: boolean;
  /** Tenant whose cgroup the sandbox still has to join (see pool-binding.ts); null once done. */
  unboundTenant: string | null;
  bindTimer: NodeJS.Timeout | undefined;
  /** When it was taken from the blank pool (performance.now(); see pool-binding.ts). */
  takenAt: number;
}

export interface Waiter {
  req: AcquireRequest;
  key: string | null;
  resolve: (lease: Lease) => void;
  reject: (err: Error) => void;
}

export function keyOf(req: AcquireRequest): string | null {
  const memory = `|${req.memoryMiB}`;
  switch (req.scope) {
    case 'tenant':
      return `t:${req.tenant}${memory}`;
    case 'function':
      return `f:${req.tenant}\0${req.functionName}${memory}`;
    case 'execution':
      return null;
  }
}

export function shuttingDown(): AirlockError {
  return new AirlockError('SHUTTING_DOWN', 'the sandbox pool is shutting down; retry against another instance');
}
