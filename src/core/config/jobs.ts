// Configuration of jobs (AIRLOCK_JOBS, AIRLOCK_JOB_*; docs/jobs.md): whether this server runs any,
// slice lengths, the overall deadline, how many slices run at once (bounded by the queue and
// admission sections), polling and yielding.
import { AirlockError } from '../errors.js';
import type { AdmissionConfig } from './admission.js';
import { int, oneOf, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';
import type { QueueConfig } from './queue.js';

export interface JobsConfig {
  /**
   * AIRLOCK_JOBS=paused: this server starts no job run (jobs, webhook deliveries and scheduled
   * runs stay queued; submissions are still taken), e.g. a restored copy of production's database.
   */
  paused: boolean;
  /** Slice length of a job run when the job does not ask for one, ms. */
  defaultRunMs: number;
  /** Longest slice a job may ask for (maxRunMs), ms. */
  maxRunMs: number;
  /** Total time a job may take from submission, over all its slices and retries, ms. */
  deadlineMs: number;
  /** Job slices this server runs at once (each also holds an admission slot). */
  concurrency: number;
  /**
   * Slices of interactive work (webhook deliveries) this server may run beyond `concurrency`: the
   * queue's interactive reserve, within the admission slots jobs may hold. 0: deliveries share
   * `concurrency` with jobs (AIRLOCK_CONCURRENCY leaves no room, or no reserve is configured).
   */
  interactiveExtra: number;
  /** How often an idle worker looks for ready jobs, ms (a submission wakes it at once). */
  pollMs: number;
  /**
   * Event-loop utilization (percent) at which job slices yield to foreground requests: while the
   * loop is this busy and requests keep arriving, one slice runs at a time. 100: never yield.
   */
  yieldPercent: number;
}

export function jobsFrom(env: Env, queue: QueueConfig, admission: AdmissionConfig): JobsConfig {
  const maxRunMs = int(env, 'AIRLOCK_JOB_MAX_RUN_MS', 3_600_000, 1, TIMER_MAX_MS);
  const defaultRunMs = int(env, 'AIRLOCK_JOB_RUN_MS', Math.min(600_000, maxRunMs), 1, TIMER_MAX_MS);
  if (defaultRunMs > maxRunMs) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_JOB_RUN_MS (${defaultRunMs}) is above AIRLOCK_JOB_MAX_RUN_MS (${maxRunMs}); lower it or raise the maximum`,
    );
  }
  // Job slices hold admission slots; at least one global slot always stays for invocations.
  // Webhook deliveries (the interactive lane) may run up to the queue's reserve beyond the job
  // concurrency, within those slots, so that long job slices never hold them back.
  const room = Math.max(1, admission.globalConcurrency - 1);
  const concurrency = int(env, 'AIRLOCK_JOB_CONCURRENCY', Math.min(queue.slots - queue.interactiveReserved, room), 1);
  if (concurrency > room) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_JOB_CONCURRENCY (${concurrency}) must be below AIRLOCK_CONCURRENCY (${admission.globalConcurrency}) ` +
        'so job slices never take every slot invocations need; lower it or raise AIRLOCK_CONCURRENCY',
    );
  }
  return {
    paused: oneOf(env, 'AIRLOCK_JOBS', ['on', 'paused'] as const, 'on') === 'paused',
    defaultRunMs,
    maxRunMs,
    deadlineMs: int(env, 'AIRLOCK_JOB_DEADLINE_MS', 86_400_000, 1),
    concurrency,
    interactiveExtra: Math.max(0, Math.min(queue.interactiveReserved, room - concurrency)),
    pollMs: int(env, 'AIRLOCK_JOB_POLL_MS', 500, 1, TIMER_MAX_MS),
    yieldPercent: Math.min(100, int(env, 'AIRLOCK_JOB_YIELD_PERCENT', 90, 1)),
  };
}
