// The runs a channel sandbox has sent while another run was in progress (see Sandbox.run), in
// the order the harness will start them: each with its give-up timer (req.maxQueueWaitMs), a
// run taken back kept until the harness says it dropped it or starts it anyway, and every run
// answered notStarted when the sandbox ends first.
import { runFrameCap } from './outbound.js';
import type { SandboxRunOutcome, SandboxRunRequest } from './port.js';
import { outcomeNow } from './run-outcome.js';

export interface QueuedRun {
  req: SandboxRunRequest;
  /** Answers the caller; a no-op once the run was taken back (its caller has its answer). */
  resolve: (outcome: SandboxRunOutcome) => void;
  giveUp?: NodeJS.Timeout;
  /** Taken back: the harness either drops it (a `cancelled` frame) or runs it unheard. */
  withdrawn?: boolean;
}

function ignore(): void {}

export class WaitingRuns {
  private runs: QueuedRun[] = [];
  private readonly onGiveUp: (run: QueuedRun) => void;

  /** `onGiveUp` runs when a run has waited its maxQueueWaitMs without starting. */
  constructor(onGiveUp: (run: QueuedRun) => void) {
    this.onGiveUp = onGiveUp;
  }

  get length(): number {
    return this.runs.length;
  }

  add(run: QueuedRun): void {
    this.runs.push(run);
    const limit = run.req.maxQueueWaitMs;
    if (limit !== undefined) run.giveUp = setTimeout(() => this.onGiveUp(run), limit);
  }

  /** Removes the run the harness starts next (its give-up timer stopped). */
  next(): QueuedRun | undefined {
    const run = this.runs.shift();
    if (run !== undefined) clearTimeout(run.giveUp);
    return run;
  }

  /**
   * Marks a waiting run taken back and answers its caller `notStarted` (the sandbox stays
   * usable). False when the run is no longer waiting.
   */
  withdraw(run: QueuedRun): boolean {
    if (!this.runs.includes(run) || run.withdrawn === true) return false;
    const answer = run.resolve;
    run.resolve = ignore;
    run.withdrawn = true;
    answer({
      ...outcomeNow('killed', { type: 'SandboxBusy', message: 'taken back from a sandbox whose run in progress went on too long' }),
      notStarted: true,
      reusable: true,
    });
    return true;
  }

  /** Forgets a run taken back that the harness dropped; false if no such run waits. */
  dropCancelled(executionId: string): boolean {
    const at = this.runs.findIndex((run) => run.withdrawn === true && run.req.executionId === executionId);
    if (at < 0) return false;
    this.runs.splice(at, 1);
    return true;
  }

  /** The largest frame any waiting run may send (frames of consecutive runs share chunks). */
  frameCap(): number {
    let cap = 0;
    for (const run of this.runs) cap = Math.max(cap, runFrameCap(run.req));
    return cap;
  }

  /** Answers every waiting run `notStarted`: the sandbox is ending; callers may run them elsewhere. */
  abandon(): void {
    for (const run of this.runs.splice(0)) {
      clearTimeout(run.giveUp);
      run.resolve({
        ...outcomeNow('killed', { type: 'SandboxUnavailable', message: 'the sandbox ended before this run started' }),
        notStarted: true,
      });
    }
  }
}
