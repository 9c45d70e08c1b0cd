// Configuration of the sandbox pool (AIRLOCK_POOL_SIZE, AIRLOCK_MAX_SANDBOXES, AIRLOCK_SANDBOX_*):
// blank sandboxes kept ready, the global process budget, and when warm sandboxes are retired.
import { int } from './env.js';
import type { Env } from './env.js';

export interface PoolConfig {
  /** Pre-spawned blank sandboxes kept ready (no tenant code loaded yet). */
  blankSize: number;
  /** Global budget of sandbox processes (blank + warm idle + busy). */
  maxSandboxes: number;
  /** A warm sandbox unused this long is destroyed, ms. */
  idleTtlMs: number;
  /** A warm sandbox is retired after this many executions. */
  maxExecutionsPerSandbox: number;
}

export function poolFrom(env: Env): PoolConfig {
  return {
    blankSize: int(env, 'AIRLOCK_POOL_SIZE', 2, 0),
    maxSandboxes: int(env, 'AIRLOCK_MAX_SANDBOXES', 64, 1),
    idleTtlMs: int(env, 'AIRLOCK_SANDBOX_IDLE_MS', 60_000, 1),
    maxExecutionsPerSandbox: int(env, 'AIRLOCK_SANDBOX_MAX_EXECUTIONS', 10_000, 1),
  };
}
