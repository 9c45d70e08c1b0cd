// A large frame from a sandbox, read on the parser thread: its bytes decoded and parsed as the
// event loop would (UTF-8 with replacement, prototype keys dropped), and, for a successful `done`
// frame, its result checked for depth and serialized there. What goes back to the event loop is
// then the frame without its result plus the result's JSON text: a string to pass on to the record
// and the answer, not an object graph as costly to receive as to parse. Every other frame comes
// back whole. The event loop still checks each field of the frame (sandbox/inbound.ts): nothing
// here decides what the sandbox may say.
import { isRecord, exceedsDepth } from '../json.js';
import { parseUntrustedJson } from '../json-text.js';

export type ReadSandboxFrame =
  /** A `done` frame with `ok: true` and a result: `head` is the frame without `result`. */
  | { kind: 'result'; head: Record<string, unknown>; result: CheckedResultText }
  | { kind: 'whole'; value: unknown }
  | { kind: 'malformed'; reason: string };

export interface CheckedResultText {
  /** The result nests deeper than allowed; `json` is then empty, never serialized. */
  tooDeep: boolean;
  /** The result serialized (JSON.stringify of the parsed value). */
  json: string;
  /** Bytes of `json` as UTF-8. */
  bytes: number;
}

export function readSandboxFrame(bytes: Uint8Array, maxResultDepth: number): ReadSandboxFrame {
  let value: unknown;
  try {
    value = parseUntrustedJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    return { kind: 'malformed', reason: `malformed JSON (${err instanceof Error ? err.message : 'parse error'})` };
  }
  if (!isRecord(value) || value.t !== 'done' || value.ok !== true || !Object.hasOwn(value, 'result')) return { kind: 'whole', value };
  const { result, ...head } = value;
  if (exceedsDepth(result, maxResultDepth)) return { kind: 'result', head, result: { tooDeep: true, json: '', bytes: 0 } };
  const json = JSON.stringify(result);
  return { kind: 'result', head, result: { tooDeep: false, json, bytes: Buffer.byteLength(json, 'utf8') } };
}
