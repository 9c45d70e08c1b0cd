// What a job slice's outcome is called: the error an execution record of a slice carries when
// the host stopped or capped it, and the queue errors a slice leaves on its job (a failed
// attempt, or the end of the job). Messages say what happens next and how to avoid it.
import type { QueueError } from '../../queue/port.js';
import type { SandboxRunOutcome } from '../../sandbox/port.js';

/** Why the host told a slice to stop before it finished. */
export type StopReason = 'cancelled' | 'lease-lost' | 'shutdown' | 'function-deleted';

/** What ended a slice that is continued (or ended by the deadline) rather than failed. */
export type SliceCap =
  | { kind: 'time'; capMs: number }
  | { kind: 'deadline'; capMs: number }
  | { kind: 'requests'; requests: number };

/**
 * Runs in a row a job may end at its slice cap without saving a checkpoint before each further
 * one counts as a failed attempt: slow slices are forgiven, a job that can never get anywhere
 * (each slice starts over from the same state) ends dead instead of running until its deadline.
 * Runs are counted, not time: waiting in the queue between slices is no fault of the job's.
 */
export const STALL_SLICES = 3;

/** What an execution record says when the host stopped a job's slice. */
export const STOPPED: Record<StopReason, { type: string; message: string }> = {
  cancelled: { type: 'JobCancelled', message: 'the job was cancelled during this run; its sandbox was stopped' },
  'lease-lost': {
    type: 'LeaseLost',
    message: 'this run lost its lease on the job (it expired, or another run took over); its sandbox was stopped',
  },
  'function-deleted': {
    type: 'FunctionDeleted',
    message: 'the function was deleted during this run; its sandbox was stopped and the job failed (FUNCTION_NOT_FOUND)',
  },
  shutdown: {
    type: 'ServerShutdown',
    message: 'the server shut down during this run; the job continues from its last checkpoint in a new slice',
  },
};

/** A job's run ended in a way that counts as a failed attempt, or ends the job for good. */
export function failure(code: string, message: string): QueueError {
  return { code, message };
}

/** The job is past its deadline; a failed attempt before it is named, so its cause is not lost. */
export function deadlineError(deadlineAt: number, since: { at: number; event: 'submitted' | 'retried' }, last: QueueError | undefined): QueueError {
  const when = `${new Date(deadlineAt).toISOString()}, ${Math.max(0, deadlineAt - since.at)} ms after it was ${since.event}`;
  if (last !== undefined && last.code !== 'JOB_DEADLINE') {
    return failure(
      'JOB_DEADLINE',
      `the job did not finish by its deadline (${when}); its last attempt failed with ${last.code}: ${last.message}`,
    );
  }
  return failure(
    'JOB_DEADLINE',
    `the job did not finish by its deadline (${when}): it needs more time than that; retry it with a longer ` +
      'deadlineMs (up to AIRLOCK_JOB_DEADLINE_MS), or split the work into smaller jobs',
  );
}

/** The stalled slice limit was passed (see STALL_SLICES); `cap` is what ended this slice. */
export function noProgressError(cap: SliceCap): QueueError {
  const each = cap.kind === 'requests' ? `egress.limits.requests ${cap.requests} each` : `maxRunMs ${cap.capMs} ms each`;
  const larger = cap.kind === 'requests' ? 'deploy the function with a larger egress.limits.requests' : 'retry the job with a longer maxRunMs';
  return failure(
    'NO_PROGRESS',
    `the last ${STALL_SLICES} slices of this job (${each}) reached their cap without saving a checkpoint, and so did ` +
      'this one, so each new slice starts over from the same state; call ctx.checkpoint.save(state) as the work ' +
      `advances (an unchanged state marks progress too), or ${larger}. A function that never takes that long ` +
      '(a short one run as a job) hung each time: look at its logs, and submit such functions with a maxRunMs near ' +
      'the time they need, so a hang is cut sooner',
  );
}

/** What the execution record of a slice cut at its cap says happens next. */
export function cappedError(cap: SliceCap, saved: boolean): { type: string; message: string } {
  if (cap.kind === 'deadline') {
    return { type: 'JobDeadlineReached', message: `the run reached the job's deadline after ${cap.capMs} ms; the job ends failed with JOB_DEADLINE` };
  }
  const reached =
    cap.kind === 'time'
      ? `the run reached its slice cap (${cap.capMs} ms, maxRunMs)`
      : `the run used up its egress requests (${cap.requests}, egress.limits.requests)`;
  const type = cap.kind === 'time' ? 'SliceCapReached' : 'SliceRequestCapReached';
  if (!saved) {
    return {
      type,
      message:
        `${reached} without saving a checkpoint: the next slice starts again from the last checkpoint (or the start); ` +
        `after ${STALL_SLICES} such runs in a row, each further one is a failed attempt (NO_PROGRESS)`,
    };
  }
  return { type, message: `${reached}; the job continues from its last checkpoint in a new slice` };
}

/** Longest top frame quoted in a job's error (a frame names a function and a module URL). */
const MAX_FRAME = 300;

/**
 * ", at default (file:///fn/sync.3f1c….mjs:12:9)": where the error was thrown, from the first
 * frame of its stack (the function's own frames only), so a job's error gives the line and column
 * without a trip to its execution records; "" for an error without one (a thrown string).
 */
function thrownAt(stack: string | undefined): string {
  const frame = stack === undefined ? null : /^ {4}at (.+)$/m.exec(stack);
  return frame === null ? '' : `, at ${frame[1]!.slice(0, MAX_FRAME)}`;
}

/** The queue error a failed run leaves on the item. */
export function attemptError(outcome: SandboxRunOutcome): QueueError {
  const error = outcome.error ?? { type: 'Error', message: 'the run failed' };
  switch (outcome.status) {
    case 'oom':
      return failure('OUT_OF_MEMORY', error.message);
    case 'killed':
      return failure('SANDBOX_CRASHED', `${error.type}: ${error.message}`);
    default:
      return failure('FUNCTION_FAILED', `${error.type}: ${error.message}${thrownAt(error.stack)}`);
  }
}
