// What the harness does with each frame from the host: `hello` once (answered `ready`, after the
// warm-up when asked for one), `run` frames queued and started one at a time in arrival order,
// `cancel` of a run still waiting, and the answers to ctx.fetch and ctx.checkpoint requests. The
// host may send the next run while one is in progress (back to back, which saves the sandbox a
// sleep and a wake-up per call); it starts once the one before has answered. Anything else, or
// a frame that is not JSON, ends the sandbox.
import type { HostToSandboxFrame, RunFrame } from '../protocol.js';
import { sendFrame } from './channel.js';
import { onCheckpointed, onFetched } from './clients.js';
import { exit, jsonParse, stringOf } from './primordials.js';
import { handleRun } from './run.js';
import { keepUnstartedCode } from './tenant-module.js';
import { warmUp } from './warmup.js';

const waitingRuns: RunFrame[] = [];
let running = false;
let greeted = false;

function startNextRun(): void {
  const next = waitingRuns.shift();
  running = next !== undefined;
  if (next !== undefined) void handleRun(next, startNextRun);
}

/** Handles one frame from the host (its JSON body). */
export function onFrame(body: Buffer): void {
  let frame: HostToSandboxFrame;
  try {
    frame = jsonParse(body.toString('utf8')) as HostToSandboxFrame;
  } catch {
    exit(70);
    return;
  }
  if (frame === null || typeof frame !== 'object') {
    exit(70);
    return;
  }
  if (frame.t === 'fetched') {
    onFetched(frame);
    return;
  }
  if (frame.t === 'checkpointed') {
    onCheckpointed(frame);
    return;
  }
  if (frame.t === 'cancel') {
    const at = waitingRuns.findIndex((run) => run.id === frame.id);
    if (at >= 0) {
      const [dropped] = waitingRuns.splice(at, 1);
      // The host counts its code as sent: a later run of that version comes without it.
      if (dropped !== undefined) keepUnstartedCode(dropped.fn);
      sendFrame({ t: 'cancelled', id: stringOf(frame.id) });
    }
    return;
  }
  if (frame.t === 'hello' && !greeted) {
    greeted = true;
    if (frame.warmup === 'full' || frame.warmup === 'loader') {
      running = true; // the warm-up runs go first
      void warmUp(frame.warmup).then(() => {
        sendFrame({ t: 'ready' });
        startNextRun();
      });
    } else sendFrame({ t: 'ready' });
    return;
  }
  if (frame.t !== 'run' || !greeted) {
    exit(70);
    return;
  }
  waitingRuns.push(frame);
  if (!running) startNextRun();
}
