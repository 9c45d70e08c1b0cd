// Configuration of the sandbox pool (AIRLOCK_POOL_SIZE, AIRLOCK_MAX_SANDBOXES, AIRLOCK_SANDBOX_*):
// blank sandboxes kept ready, the global process budget, when warm sandboxes are retired (idle,
// worn out, or working outside their calls), and when a call may queue inside a busy warm
// sandbox instead of taking another one.
import { AirlockError } from '../errors.js';
import { usableCpus } from '../usable-cpus.js';
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface PoolConfig {
  /** Pre-spawned blank sandboxes kept ready (no tenant code loaded yet). */
  blankSize: number;
  /** Global budget of sandbox processes (blank + warm idle + busy). */
  maxSandboxes: number;
  /** A warm sandbox unused this long is destroyed, ms. */
  idleTtlMs: number;
  /**
   * A warm sandbox is retired after this many executions. Each retirement costs a sandbox boot and
   * a harness whose code the JIT has not optimized yet: at 10,000, busy tenants lost ≈ 20% of
   * their warm throughput to it (docs/performance.md).
   */
  maxExecutionsPerSandbox: number;
  /**
   * Runs that may wait inside a busy warm sandbox behind the one in progress (0: never). A queued
   * run costs the sandbox no sleep and wake-up, which on small machines is most of a short call.
   */
  queueBehind: number;
  /**
   * A call queues behind a busy sandbox only while its runs are this short on average and the one
   * in progress has not run longer, ms: a slow run never holds up another call for long.
   */
  queueBehindMs: number;
  /**
   * Busy sandboxes the machine runs side by side: by default one per usable CPU (the CPU count
   * capped by the server's cgroup CPU quota; core/usable-cpus.ts) but one, which the server's own
   * thread takes under load. Once that many are busy, a short call queues inside a busy sandbox
   * of its tenant rather than taking another: more running processes than free cores only take
   * turns, and each turn is a sleep and a wake-up.
   */
  parallelism: number;
  /**
   * Sandboxes booting at once, blank-pool refills included. A burst of new tenants' first calls
   * then gets its sandboxes one core's worth at a time, each in tens of ms, instead of all of them
   * sharing the CPUs and ending together much later (and their runs competing with the boots).
   */
  spawnConcurrency: number;
  /**
   * Share of one core a warm sandbox may use outside its calls (timers, worker threads or
   * processes a function left running), percent, before it is retired (sandbox/background-watch.ts,
   * with cgroups only); 0 or unset: never checked.
   */
  backgroundCpuPercent?: number;
}

/**
 * Most sandboxes a server may keep (each is a Node process of at least ≈ 7 MiB). The process that
 * forks them needs ≈ 10 descriptors per sandbox under one open-files limit, which this keeps
 * below the kernel's default ceiling (fs.nr_open, 1,048,576).
 */
export const MAX_SANDBOXES_CEILING = 65_536;

/**
 * A queued call is taken back and run elsewhere once it has waited this many times
 * queueBehindMs (the wait the pool expected when it queued it, at most): that wait is a timer,
 * so queueBehindMs is bounded by Node's largest timer delay divided by this.
 */
export const QUEUE_WAIT_FACTOR = 4;

/** `cpus`: the CPUs the server may use (usable-cpus.ts), from which the parallelism default follows. */
export function poolFrom(env: Env, cpus = usableCpus()): PoolConfig {
  const pool: PoolConfig = {
    blankSize: int(env, 'AIRLOCK_POOL_SIZE', 2, 0),
    maxSandboxes: int(env, 'AIRLOCK_MAX_SANDBOXES', 64, 1, MAX_SANDBOXES_CEILING),
    idleTtlMs: int(env, 'AIRLOCK_SANDBOX_IDLE_MS', 60_000, 1),
    maxExecutionsPerSandbox: int(env, 'AIRLOCK_SANDBOX_MAX_EXECUTIONS', 100_000, 1),
    queueBehind: int(env, 'AIRLOCK_SANDBOX_QUEUE', 15, 0),
    queueBehindMs: int(env, 'AIRLOCK_SANDBOX_QUEUE_MS', 5, 0, Math.floor(TIMER_MAX_MS / QUEUE_WAIT_FACTOR)),
    parallelism: int(env, 'AIRLOCK_SANDBOX_PARALLELISM', Math.max(1, cpus - 1), 1, MAX_SANDBOXES_CEILING),
    spawnConcurrency: int(env, 'AIRLOCK_SPAWN_CONCURRENCY', Math.max(2, cpus), 1, MAX_SANDBOXES_CEILING),
    backgroundCpuPercent: int(env, 'AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT', 10, 0, 100_000),
  };
  if (pool.blankSize > pool.maxSandboxes) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_POOL_SIZE (${pool.blankSize}) is above AIRLOCK_MAX_SANDBOXES (${pool.maxSandboxes}), which counts the ` +
        'blank sandboxes too; lower the pool size or raise the budget',
    );
  }
  return pool;
}
