// Where a short call may wait inside a busy warm sandbox instead of taking another one
// (PoolConfig.queueBehind, queueBehindMs): only a sandbox of the caller's key whose calls may be
// shared, with room in its queue, whose runs are short on average and whose run in progress has
// not gone on longer; of those, the one with the shortest queue. When the pool asks is its own
// choice (PoolConfig.parallelism; see pool.ts).
import type { PoolConfig } from '../core/config.js';
import type { Sandbox } from './port.js';

/** What the choice reads of a pool entry. */
export interface QueueCandidate {
  state: string;
  /** Calls may queue behind its current leases (they were all queueable). */
  shared: boolean;
  key: string | null;
  executions: number;
  sandbox: Pick<Sandbox, 'alive' | 'pending' | 'averageRunMs' | 'currentRunMs'>;
}

type QueueLimits = Pick<PoolConfig, 'queueBehind' | 'queueBehindMs' | 'maxExecutionsPerSandbox'>;

/** The busy sandbox of `key` with the shortest queue whose runs are short, if any has room. */
export function busyToQueueBehind<E extends QueueCandidate>(entries: Iterable<E>, key: string, limits: QueueLimits): E | undefined {
  const { queueBehind, queueBehindMs, maxExecutionsPerSandbox } = limits;
  if (queueBehind === 0) return undefined;
  let best: E | undefined;
  for (const entry of entries) {
    if (entry.state !== 'busy' || !entry.shared || entry.key !== key || !entry.sandbox.alive) continue;
    const { pending, averageRunMs, currentRunMs } = entry.sandbox;
    if (pending > queueBehind || entry.executions >= maxExecutionsPerSandbox) continue;
    if (averageRunMs === undefined || pending * averageRunMs > queueBehindMs || currentRunMs > queueBehindMs) continue;
    if (!best || pending < best.sandbox.pending) best = entry;
  }
  return best;
}
