// The sandbox end of ctx.checkpoint: runs INSIDE the sandbox, next to the harness, which imports
// it the first time a job run starts (so sandboxes that only serve invocations never load it).
// save(state) sends one `checkpoint` frame and resolves only when the host answers that it stored
// the state durably (saves are sent one at a time, in call order); get() returns a copy of the
// last saved state. Nothing here is trusted by the host. Types only from siblings: it is copied
// into the sandbox alone, like the harness.
import type { CheckpointedFrame } from './protocol.js';

/** What the harness captured before any tenant code ran. */
export interface CheckpointClientDeps {
  send(json: string): void;
  stringify: typeof JSON.stringify;
  /** A state as JSON text, or why it is not JSON data (a function, symbol or bigint in it, named by its path; a cycle). */
  serializeState(state: unknown): { json: string | undefined } | { why: string };
  parse: typeof JSON.parse;
  byteLength: typeof Buffer.byteLength;
  /** Object.freeze as captured at boot (tenant code of an earlier run may have replaced the global). */
  freeze: typeof Object.freeze;
}

/** ctx.checkpoint as the function sees it. */
export interface CheckpointApi {
  get(): unknown;
  save(state: unknown): Promise<void>;
}

export interface CheckpointClient {
  /** A job run starts with the state the host handed it (JSON value, or undefined for none). */
  begin(run: { id: string; maxBytes: number; state: unknown }): CheckpointApi;
  /** The run ended: saves still waiting are rejected. */
  end(): void;
  onCheckpointed(frame: CheckpointedFrame): void;
}

function checkpointError(code: string, message: string): Error {
  return Object.defineProperty(new Error(message), 'code', { value: code, enumerable: true });
}

interface Waiting {
  rid: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  json: string;
}

export function createCheckpointClient(deps: CheckpointClientDeps): CheckpointClient {
  const { send, stringify, serializeState, parse, byteLength, freeze } = deps;
  let run: { id: string; maxBytes: number; json: string | undefined } | null = null;
  let seq = 0;
  /** Saves in call order; the head is the one sent and awaiting its answer. */
  let queue: Waiting[] = [];

  function sendHead(): void {
    const head = queue[0];
    if (head === undefined || run === null) return;
    send(`{"t":"checkpoint","id":${stringify(run.id)},"rid":${head.rid},"state":${head.json}}`);
  }

  return {
    begin(next) {
      const current = { id: next.id, maxBytes: next.maxBytes, json: next.state === undefined ? undefined : stringify(next.state) };
      run = current;
      return freeze({
        get(): unknown {
          return current.json === undefined ? undefined : (parse(current.json) as unknown);
        },
        save(state: unknown): Promise<void> {
          if (run !== current) return Promise.reject(checkpointError('CHECKPOINT_FAILED', 'the job run has ended'));
          const serialized = serializeState(state);
          if ('why' in serialized) {
            return Promise.reject(
              checkpointError(
                'CHECKPOINT_INVALID',
                `the checkpoint is not JSON-serializable: ${serialized.why}; save plain objects, arrays, strings, numbers, ` +
                  'booleans or null (e.g. String(n) for a bigint, [...set] for a Set, Object.fromEntries(map) for a Map)',
              ),
            );
          }
          const { json } = serialized;
          if (json === undefined) {
            return Promise.reject(checkpointError('CHECKPOINT_INVALID', 'the checkpoint must be a JSON value (not undefined or a function)'));
          }
          const bytes = byteLength(json, 'utf8');
          if (bytes > current.maxBytes) {
            return Promise.reject(
              checkpointError('CHECKPOINT_TOO_LARGE', `the checkpoint is ${bytes} bytes of JSON, above the limit of ${current.maxBytes}; save less (a cursor, not the data)`),
            );
          }
          const saved = json;
          return new Promise<void>((resolve, reject) => {
            queue.push({
              rid: ++seq,
              json: saved,
              resolve: () => {
                current.json = saved;
                resolve();
              },
              reject,
            });
            if (queue.length === 1) sendHead();
          });
        },
      });
    },
    end() {
      run = null;
      const waiting = queue;
      queue = [];
      for (const w of waiting) w.reject(checkpointError('CHECKPOINT_FAILED', 'the job run ended before the checkpoint was stored'));
    },
    onCheckpointed(frame) {
      const head = queue[0];
      if (head === undefined || head.rid !== frame.rid) return; // answered after its run ended
      queue.shift();
      if (frame.ok) head.resolve();
      else head.reject(checkpointError(String(frame.code), String(frame.message)));
      sendHead();
    },
  };
}
