// One run, from its frame to its answer: the capture its code logs into, the capabilities it was
// granted, its ctx, the tenant module and handler, and one done frame with the result or the
// error. An exception escaping tenant code while a run is in progress fails that run instead of
// crashing the sandbox; outside a run, or from work a finished run left behind, it is dropped
// (the host never sees it as anything but silence).
import type { CheckpointApi } from '../checkpoint-client.mjs';
import type { FetchClient } from '../fetch-client.mjs';
import type { HarnessError, RunFrame } from '../protocol.js';
import { withAbsentCtxHint } from './absent-ctx-hints.js';
import { doneFrame, serializeResult } from './answer.js';
import type { Outcome } from './answer.js';
import { beginCapture, currentCapture, endCapture, ownedBy, runWithCapture } from './capture.js';
import type { Capture } from './capture.js';
import { send } from './channel.js';
import { endGrants, loadCheckpointClient, loadFetchClient } from './clients.js';
import { RunContext, endContext } from './ctx.js';
import { jobInfoOf } from './job-info.js';
import { newKeptLogs } from './log-budget.js';
import { toHarnessError } from './errors.js';
import { now, stringOf } from './primordials.js';
import { callHandler, loadModule, mentionsJobMembersOf, pickHandler, withLoadNote } from './tenant-module.js';

let finishCurrent: ((err: unknown) => void) | null = null;

/** The run's error as the host receives it, saying so when it read a ctx member the run was not granted. */
function failureOf(err: unknown, capture: Capture, frame: RunFrame): HarnessError {
  return withAbsentCtxHint(toHarnessError(err), {
    egress: capture.egress,
    job: capture.job,
    mentionsJobMembers: mentionsJobMembersOf(frame.fn.version),
    target: `${stringOf(frame.tenant)}/${stringOf(frame.fn.name)}`,
  });
}

function finish(capture: Capture, outcome: Outcome, next: (() => void) | undefined): void {
  if (!endCapture(capture)) return; // already answered
  finishCurrent = null;
  endGrants(capture);
  const frame = doneFrame(capture, outcome);
  if (next === undefined) return;
  send(frame);
  // Outside this run's call stack (and after its answer is on its way): the next queued run.
  queueMicrotask(next);
}

/**
 * Runs one frame to its answer. `next` is called once the answer is on its way (the run queue's
 * next run); without it the answer is built like any other and dropped (the warm-up runs).
 */
export function handleRun(frame: RunFrame, next: (() => void) | undefined): Promise<void> {
  // The time limit counts from now: the frame may have waited behind the run before it.
  const deadline = now() + (Number(frame.timeoutMs) || 0);
  const capture: Capture = {
    id: stringOf(frame.id),
    discard: next === undefined,
    logs: newKeptLogs(Number(frame.logBytes) || 0),
    egress: false,
    job: false,
    flushTimer: undefined,
    flushDueAt: 0,
    groupDepth: 0,
  };
  beginCapture(capture);
  finishCurrent = (err) => finish(capture, { ok: false, error: failureOf(err, capture, frame) }, next);
  return runWithCapture(capture, async () => {
    let ctx: RunContext | undefined;
    let loading = false;
    try {
      let fetcher: FetchClient['fetch'] | undefined;
      if (frame.egress !== undefined) {
        const client = await loadFetchClient();
        capture.egress = true;
        client.begin({
          id: capture.id,
          requestBytes: Number(frame.egress.requestBytes) || 0,
          maxInFlight: Number(frame.egress.maxInFlight) || 0,
          owns: () => ownedBy(capture),
        });
        fetcher = client.fetch;
      }
      let checkpoint: CheckpointApi | undefined;
      if (frame.job !== undefined) {
        const client = await loadCheckpointClient();
        capture.job = true;
        checkpoint = client.begin({ id: capture.id, maxBytes: Number(frame.job.checkpointBytes) || 0, state: frame.job.checkpoint });
      }
      ctx = new RunContext(frame, deadline, fetcher, checkpoint, jobInfoOf(frame.jobInfo));
      loading = true;
      const mod = await loadModule(frame.fn);
      loading = false;
      const result = await callHandler(mod, pickHandler(mod), frame.input, ctx);
      finish(capture, { ok: true, json: serializeResult(result, frame.resultBytes) }, next);
    } catch (err) {
      const error = failureOf(err, capture, frame);
      finish(capture, { ok: false, error: loading ? withLoadNote(error, err) : error }, next);
    } finally {
      if (ctx !== undefined) endContext(ctx);
    }
  });
}

/** Registers the process-wide handlers that turn an escaping exception into the run's failure (at boot). */
export function installErrorHandlers(): void {
  process.on('uncaughtException', (err) => {
    const current = currentCapture();
    if (current !== null && ownedBy(current)) finishCurrent?.(err);
  });
  process.on('unhandledRejection', (reason) => {
    const current = currentCapture();
    if (current !== null && ownedBy(current)) finishCurrent?.(reason);
  });
}
