// After a sandbox process exited in the middle of a run, the rest of its output is read before
// the run's outcome is decided: stderr may hold V8's out-of-memory message (process isolator)
// and the frame channel the log lines a process.exit sent (see the harness's exit handler).
// From the channel only `logs` frames of the run in flight are taken then; anything else is
// ignored, since the run is over whatever it says.
import { addFrameLogs } from './execution.js';
import type { Execution } from './execution.js';
import { parseFrame } from './inbound.js';

/** How long to wait for the exited process's streams to close, ms. */
export const EXIT_DRAIN_MS = 250;

type Closable = NodeJS.ReadableStream & { readableEnded: boolean; destroyed: boolean };

/** Resolves once every stream has closed (all its data read), or after `ms`. */
export function drainStreams(streams: readonly Closable[], ms: number = EXIT_DRAIN_MS): Promise<void> {
  return Promise.all(
    streams.map((stream) => {
      if (stream.readableEnded || stream.destroyed) return undefined;
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        stream.once('close', () => (clearTimeout(t), resolve()));
      });
    }),
  ).then(() => undefined);
}

/** Adds the lines of a `logs` frame of `exec`'s run read after the process exited. */
export function takeLogsAfterExit(exec: Execution | null, body: Buffer): void {
  const parsed = parseFrame(body);
  if (!parsed.ok || parsed.value.t !== 'logs' || exec === null || exec.settled || parsed.value.id !== exec.req.executionId) return;
  addFrameLogs(exec, parsed.value.logs, parsed.value.skipped);
}
