// Worker thread that carries out cgroupfs batches for the server (see ops.ts): each message is
// {id, ops}; the answer is {id, ok, readings} or {id, ok: false, message, code}. Synchronous fs
// calls are fine here: this thread does nothing else.
import { parentPort } from 'node:worker_threads';
import { errnoOf, kernelFs } from './fs.js';
import { runGroupOps } from './ops.js';
import type { GroupOp } from './ops.js';

export interface OpRequest {
  id: number;
  ops: readonly GroupOp[];
}

export type OpAnswer = { id: number; ok: true; readings: number[] } | { id: number; ok: false; message: string; code: string };

const port = parentPort;
if (port === null) throw new Error('op-worker.js runs as a worker thread of the Airlock server');

port.on('message', (req: OpRequest) => {
  runGroupOps(kernelFs, req.ops).then(
    (readings) => port.postMessage({ id: req.id, ok: true, readings } satisfies OpAnswer),
    (err: unknown) =>
      port.postMessage({ id: req.id, ok: false, message: err instanceof Error ? err.message : String(err), code: errnoOf(err) } satisfies OpAnswer),
  );
});
