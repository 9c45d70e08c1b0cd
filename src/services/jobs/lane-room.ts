// How many job slices of each queue lane this server may start now. Background work (jobs,
// scheduled runs) takes at most AIRLOCK_JOB_CONCURRENCY slices; interactive work (webhook
// deliveries) may also use `interactiveExtra` more (the queue's interactive reserve, within the
// admission slots jobs may hold), so deliveries find room on this server however many long syncs
// run. While the pacer yields (requests saturate the event loop), each lane starts slices only
// while it runs none: deliveries keep flowing one at a time beside syncs already running.
import type { Lane } from '../../queue/port.js';

export interface LaneRoom {
  /** Most slices to claim now, both lanes together. */
  max: number;
  /** Most of each lane among them. */
  laneMax: Record<Lane, number>;
}

export function laneRoom(concurrency: number, interactiveExtra: number, running: Readonly<Record<Lane, number>>, yielding: boolean): LaneRoom {
  const total = concurrency + interactiveExtra;
  const cap: Record<Lane, number> = yielding ? { interactive: 1, background: 1 } : { interactive: total, background: concurrency };
  const laneMax: Record<Lane, number> = {
    interactive: Math.max(0, cap.interactive - running.interactive),
    background: Math.max(0, cap.background - running.background),
  };
  const free = Math.max(0, total - running.interactive - running.background);
  return { max: Math.min(free, laneMax.interactive + laneMax.background), laneMax };
}

/** The start's warning when webhook deliveries have no slices of their own on this server. */
export function noDeliveryRoom(jobs: { concurrency: number; interactiveExtra: number }, reserved: number, globalConcurrency: number): string | undefined {
  if (reserved === 0 || jobs.interactiveExtra > 0) return undefined;
  return (
    `webhook deliveries have no slices of their own on this server: AIRLOCK_CONCURRENCY (${globalConcurrency}) leaves no ` +
    `admission slot beside AIRLOCK_JOB_CONCURRENCY (${jobs.concurrency}) job slices, so long jobs can hold deliveries back; ` +
    'raise AIRLOCK_CONCURRENCY or lower AIRLOCK_JOB_CONCURRENCY'
  );
}
