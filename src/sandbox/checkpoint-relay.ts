// The host end of ctx.checkpoint for one job run: validates each `checkpoint` frame (one save in
// flight at a time, size and depth bounded), hands the state to the run's CheckpointSink (which
// stores it durably with the run's fencing token) and answers with exactly one `checkpointed`
// frame. When the run ends it answers nothing more (the sink's owner waits for a save still in
// flight before it acts on the run's outcome).
import { exceedsDepth } from '../core/json.js';
import { isAirlockError } from '../core/errors.js';
import type { CheckpointFrame } from '../runtime/protocol.js';
import type { CheckpointSink } from './port.js';

/** Deepest accepted nesting of a checkpoint state (like inputs and results). */
export const MAX_CHECKPOINT_DEPTH = 256;
/** Frame bytes beyond the state itself (envelope, id). */
const CHECKPOINT_FRAME_OVERHEAD = 1024;

/** Largest `checkpoint` frame an honest harness sends for states up to `maxBytes`. */
export function checkpointFrameCap(maxBytes: number): number {
  return maxBytes + CHECKPOINT_FRAME_OVERHEAD;
}

/** Checks the fields of a parsed frame; returns the frame or a reason for a protocol error. */
export function parseCheckpoint(v: Record<string, unknown>): { ok: true; value: CheckpointFrame } | { ok: false; reason: string } {
  const keys = Object.keys(v);
  if (!keys.every((k) => k === 't' || k === 'id' || k === 'rid' || k === 'state')) {
    return { ok: false, reason: 'checkpoint frame has extra fields' };
  }
  if (typeof v.id !== 'string') return { ok: false, reason: 'checkpoint frame without a string id' };
  if (typeof v.rid !== 'number' || !Number.isSafeInteger(v.rid) || v.rid < 1) {
    return { ok: false, reason: 'checkpoint frame without a positive integer rid' };
  }
  if (!Object.hasOwn(v, 'state')) return { ok: false, reason: 'checkpoint frame without a state' };
  return { ok: true, value: { t: 'checkpoint', id: v.id, rid: v.rid, state: v.state } };
}

export class CheckpointRelay {
  private readonly sink: CheckpointSink;
  private readonly send: (json: string) => void;
  private inFlight: Promise<void> | undefined;
  private lastRid = 0;
  private closed = false;

  constructor(sink: CheckpointSink, send: (json: string) => void) {
    this.sink = sink;
    this.send = send;
  }

  /** Starts one save; returns a protocol violation to report, or undefined. */
  handle(frame: CheckpointFrame, frameBytes: number): string | undefined {
    if (this.closed) return 'checkpoint frame after the run ended';
    if (this.inFlight !== undefined) return 'checkpoint frame while another save is in flight';
    if (frame.rid <= this.lastRid) return `checkpoint frame reuses request id ${frame.rid}`;
    if (frameBytes > checkpointFrameCap(this.sink.maxBytes)) return 'checkpoint frame above the checkpoint size cap';
    this.lastRid = frame.rid;
    const { rid } = frame;
    if (exceedsDepth(frame.state, MAX_CHECKPOINT_DEPTH)) {
      this.answerError(rid, 'CHECKPOINT_INVALID', `the checkpoint nests deeper than ${MAX_CHECKPOINT_DEPTH} levels; save a flatter state`);
      return undefined;
    }
    const saving = (async () => {
      try {
        const at = await this.sink.save(frame.state);
        this.answer(`{"t":"checkpointed","rid":${rid},"ok":true,"at":${at}}`);
      } catch (err) {
        if (isAirlockError(err)) this.answerError(rid, err.code, err.message);
        else this.answerError(rid, 'CHECKPOINT_FAILED', 'the host could not store the checkpoint');
      }
    })();
    this.inFlight = saving.finally(() => {
      this.inFlight = undefined;
    });
    return undefined;
  }

  /** The run is over: answer nothing more. Idempotent. */
  close(): void {
    this.closed = true;
  }

  private answerError(rid: number, code: string, message: string): void {
    this.answer(JSON.stringify({ t: 'checkpointed', rid, ok: false, code, message }));
  }

  private answer(json: string): void {
    if (!this.closed) this.send(json);
  }
}
