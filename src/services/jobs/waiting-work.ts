// The start's account of the background work it found in the queue (jobs, webhook deliveries,
// schedule runs left queued or running by the servers before it), so an operator restarting after
// a crash reads what is about to resume. The leases of a dead server on this machine are ended
// right after (worker.ts logs those); work of servers that are still alive is only counted.
import type { QueueStore } from '../../queue/port.js';

export interface WaitingWorkLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Logs how many jobs were queued and running at start; nothing when there are none. Never throws.
 * `paused`: this server runs none of them (AIRLOCK_JOBS=paused).
 */
export async function logWaitingWork(queue: Pick<QueueStore, 'counts'>, logger: WaitingWorkLogger, paused = false): Promise<void> {
  let counts: { queued: number; running: number };
  try {
    counts = await queue.counts();
  } catch (err) {
    logger.warn({ err }, 'could not count the background work waiting at start; it runs all the same');
    return;
  }
  if (counts.queued === 0 && counts.running === 0) return;
  const next = paused
    ? 'AIRLOCK_JOBS=paused: this server runs none of them'
    : 'they run from their last checkpoints. A run held by a server that is gone counts a crashed attempt: at once ' +
      'for a server on this machine (SERVER_GONE), else when its lease runs out (LEASE_EXPIRED)';
  logger.info(
    { queued: counts.queued, running: counts.running },
    `background work from before this start: ${counts.queued} jobs queued and ${counts.running} running ` +
      `(webhook deliveries and schedule runs included); ${next}`,
  );
}
