// Frames the host sends on the sandbox channel (fd 3), built directly as JSON text: `hello` at
// boot, and `run` for one execution (the code only when the sandbox has not loaded that version,
// the input, time limit and limits, egress and job grants, and a job run's ctx.job values). Also
// the largest frame the host accepts back while that run is in flight. `fetched` and
// `checkpointed` answers are the relays' own (egress-relay.ts, checkpoint-relay.ts).
import { checkpointFrameCap } from './checkpoint-relay.js';
import { MAX_FETCH_IN_FLIGHT, fetchFrameCap } from './egress-relay.js';
import { encodeFrame } from './frames.js';
import type { SandboxRunRequest } from './port.js';
import type { Warmup } from '../runtime/protocol.js';

const KiB = 1024;
/** Incoming frame slack beyond resultBytes + 2 * logBytes (envelope, error, escapes). */
export const FRAME_SLACK = 64 * KiB;

/** The harness answers ready only after this: see HelloFrame in runtime/protocol.ts. */
export function helloFrame(warmup: Warmup): Buffer {
  return encodeFrame(`{"t":"hello","warmup":"${warmup}"}`);
}

/** Body of the `run` frame for `req`; `sendCode` when the sandbox has not loaded req.version. */
export function runFrameBody(req: SandboxRunRequest, sendCode: boolean): string {
  const signalLead = Math.min(250, Math.max(1, Math.floor(req.timeoutMs / 10)));
  return (
    `{"t":"run","id":${JSON.stringify(req.executionId)},"tenant":${JSON.stringify(req.tenant)},` +
    `"fn":{"name":${JSON.stringify(req.functionName)},"version":${JSON.stringify(req.version)}` +
    (sendCode ? `,"code":${JSON.stringify(req.code)}` : '') +
    `},"input":${req.inputJson === '' ? 'null' : req.inputJson},"timeoutMs":${req.timeoutMs},` +
    `"signalLeadMs":${signalLead},"resultBytes":${req.resultBytes},"logBytes":${req.logBytes}` +
    (req.egress === undefined ? '' : `,"egress":{"requestBytes":${req.egress.limits.requestBytes},"maxInFlight":${MAX_FETCH_IN_FLIGHT}}`) +
    (req.checkpoint === undefined
      ? ''
      : `,"job":{"checkpointBytes":${req.checkpoint.maxBytes}` +
        (req.checkpoint.stateJson === undefined ? '' : `,"checkpoint":${req.checkpoint.stateJson}`) +
        '}') +
    (req.job === undefined ? '' : `,"jobInfo":${JSON.stringify(req.job)}`) +
    '}'
  );
}

/** Largest frame the sandbox may send during this run: its answer, a fetch or a checkpoint. */
export function runFrameCap(req: SandboxRunRequest): number {
  return Math.max(
    req.resultBytes + 2 * req.logBytes + FRAME_SLACK,
    req.egress === undefined ? 0 : fetchFrameCap(req.egress.limits),
    req.checkpoint === undefined ? 0 : checkpointFrameCap(req.checkpoint.maxBytes),
  );
}
