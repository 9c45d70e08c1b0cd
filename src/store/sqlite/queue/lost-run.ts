// The execution record of a run lost with its server: when a running item's lease is ended without
// its holder (SERVER_GONE: the server is known dead; LEASE_EXPIRED: it stopped renewing), the run
// it had started (run_record, written by markRun) becomes a `killed` execution whose error says
// what happened. It ends when the server was last heard from (its last heartbeat, checkpoint or
// the run's start: the row's updated_at), not when the loss was found, which may be hours later.
// Its logs and egress requests are those noted at its last heartbeat (the worker notes them again
// as it runs); any after went with the server.
import type { ExecutionRecord } from '../../../core/types.js';
import type { RunRecord } from '../../../queue/port.js';
import { parseJsonSafely } from '../../../core/json.js';
import { executionToValues } from '../rows.js';
import type { ExecutionValues } from '../rows.js';
import type { QueueItemRow } from './rows.js';
import type { LOST_RUN_ERROR_TYPES } from '../statements/insert-execution.js';

/** How the lease ended: the queue error's code and message (claim.ts). */
export interface LeaseEnd {
  code: 'SERVER_GONE' | 'LEASE_EXPIRED';
  message: string;
}

const ERROR_TYPES: Record<LeaseEnd['code'], (typeof LOST_RUN_ERROR_TYPES)[number]> = { SERVER_GONE: 'ServerGone', LEASE_EXPIRED: 'LeaseExpired' };

/** The insert's values for the lost run of `row`, or undefined when it had none (or it is unreadable). */
export function lostRunValues(row: QueueItemRow, end: LeaseEnd): ExecutionValues | undefined {
  if (row.run_record === null) return undefined;
  const run = parseJsonSafely(row.run_record) as RunRecord | undefined;
  if (run === undefined || run === null || typeof run.id !== 'string' || typeof run.startedAt !== 'number') return undefined;
  const lastSeen = Math.max(run.startedAt, row.updated_at);
  const { egress, ...noted } = run;
  const record: ExecutionRecord = {
    ...noted,
    ...(Array.isArray(egress) && egress.length > 0 ? { egress } : {}),
    tenant: row.tenant,
    function: row.function,
    jobId: row.id,
    status: 'killed',
    finishedAt: lastSeen,
    durationMs: lastSeen - run.startedAt,
    logs: Array.isArray(run.logs) ? run.logs : [],
    error: {
      type: ERROR_TYPES[end.code],
      message:
        `this job run was lost: ${end.message}. It was last heard from at ${new Date(lastSeen).toISOString()} ` +
        '(its start, last heartbeat or checkpoint); its result, and the logs it printed and the egress requests it made ' +
        'after those noted at a heartbeat (these are kept here), were lost with its server',
    },
  };
  return executionToValues(record);
}
