// A run's answer: the handler's result as JSON text (refused when it is not plain JSON data or
// above the run's result limit, with what to do instead), and the done frame that carries it or
// the error, with the run's remaining log entries. The frame is built as text around the result's
// JSON, so a large result is serialized once. A value JSON cannot hold is named by its key path
// (`result.items[3].total is a bigint`).
import type { HarnessError } from '../protocol.js';
import type { Capture } from './capture.js';
import { frameJson } from './frame-json.js';
import { HarnessFailure, safeMessage } from './errors.js';
import { takeLogsJson } from './log-budget.js';
import { TypeErrorClass, byteLength, isArray, jsonStringify } from './primordials.js';

export type Outcome = { ok: true; json: string | undefined } | { ok: false; error: HarnessError };

/** Longest key path a ResultNotSerializable message names whole (a longer one keeps both ends). */
const MAX_PATH = 200;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Where a value sits in the value named `root`, as JavaScript would reach it: `result.items[3].total`.
 * `holders[0]` is the value itself and `holders[i]` is property `keys[i]` of `holders[i - 1]`;
 * `key`, when given, is a property of `holders[depth - 1]`.
 */
function keyPath(root: string, holders: readonly unknown[], keys: readonly string[], depth: number, key: string | undefined): string {
  const steps: string[] = [];
  let count = 0;
  let length = 0;
  const step = (holder: unknown, k: string) => {
    let text = isArray(holder) ? `[${k}]` : IDENTIFIER.test(k) ? `.${k}` : `[${jsonStringify(k)}]`;
    if (text.length > MAX_PATH / 2) text = `${text.slice(0, MAX_PATH / 2 - 1)}…`; // a key of kilobytes
    steps[count++] = text;
    length += text.length;
  };
  for (let i = 1; i < depth; i++) step(holders[i - 1], keys[i]!);
  if (key !== undefined && depth > 0) step(holders[depth - 1], key);
  let head = root;
  let i = 0;
  if (length <= MAX_PATH) {
    for (; i < count; i++) head += steps[i];
    return head;
  }
  // Whole steps from both ends, "…" between them.
  for (; i < count && head.length + steps[i]!.length <= MAX_PATH / 2; i++) head += steps[i];
  let tail = '';
  for (let j = count - 1; j > i && tail.length + steps[j]!.length <= MAX_PATH / 2; j--) tail = steps[j] + tail;
  return `${head}…${tail}`;
}

/**
 * `value` as JSON text (undefined for undefined), or why it cannot be: a function, symbol or bigint
 * anywhere in it, named by its path from `root` (`state.seen.f is a function, …`), or a cycle.
 * Used for results and for checkpoints alike.
 */
export function strictJson(value: unknown, root: string): { json: string | undefined } | { why: string; kind: Unserializable } {
  // The objects JSON.stringify is inside of, outermost first, and the key of each: the way to a
  // value it cannot take. Stringify goes depth first, so the holder of the value at hand is on
  // this stack, and what is above it is done with.
  const holders: unknown[] = [];
  const keys: string[] = [];
  let depth = 0;
  let refused: string | undefined;
  let refusedKind: Unserializable = 'other';
  try {
    const json = jsonStringify(value, function (this: unknown, key: string, item: unknown) {
      while (depth > 0 && holders[depth - 1] !== this) depth--;
      const kind = typeof item;
      if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {
        refused = `${keyPath(root, holders, keys, depth, key)} is a ${kind}, which JSON cannot represent`;
        refusedKind = kind;
        throw new TypeError(refused);
      }
      if (item !== null && kind === 'object') {
        holders[depth] = item;
        keys[depth] = key;
        depth++;
      }
      return item;
    }) as string | undefined;
    return { json };
  } catch (err) {
    if (refused !== undefined) return { why: refused, kind: refusedKind };
    // A cycle is found right after its closing reference went on the stack: name where that is.
    if (err instanceof TypeErrorClass && safeMessage(err).startsWith('Converting circular structure')) {
      return { why: `${keyPath(root, holders, keys, depth, undefined)} refers back to an object that contains it (${safeMessage(err)})`, kind: 'cycle' };
    }
    return { why: safeMessage(err), kind: 'other' };
  }
}

/** What JSON cannot hold: a function, symbol or bigint value, a cycle, or a throw of the value's own (a toJSON). */
export type Unserializable = 'function' | 'symbol' | 'bigint' | 'cycle' | 'other';

/** How to return what a result holds that JSON cannot, by what it is. */
const RESULT_ADVICE: Readonly<Record<Unserializable, string>> = {
  bigint: 'return it as a string or a number instead (String(n), or Number(n) when it fits)',
  function: 'leave it out of the result, or return what it computes instead',
  symbol: 'leave it out of the result, or return its description (a string) instead',
  cycle: 'return a copy without the reference back (plain objects nested as a tree, e.g. the ids of what it refers to)',
  other: 'return plain objects, arrays, strings, numbers, booleans or null',
};

export function serializeResult(result: unknown, limit: number): string | undefined {
  if (result === undefined) return undefined;
  const serialized = strictJson(result, 'result');
  if ('why' in serialized) {
    throw new HarnessFailure(
      'ResultNotSerializable',
      `the function's result is not JSON-serializable: ${serialized.why}; ${RESULT_ADVICE[serialized.kind]}`,
    );
  }
  const { json } = serialized;
  if (json === undefined) return undefined;
  const size = byteLength(json, 'utf8');
  if (size > limit) {
    throw new HarnessFailure(
      'ResultTooLarge',
      `the result is ${size} bytes of JSON, above the limit of ${limit} bytes; return less data ` +
        'or raise limits.resultBytes when deploying the function (airlock deploy --result-bytes N; up to the operator maximum)',
    );
  }
  return json;
}

/** The `done` frame (JSON text) of the run of `capture`. */
export function doneFrame(capture: Capture, outcome: Outcome): string {
  const head = `{"t":"done","id":${jsonStringify(capture.id)},`;
  const tail = `${takeLogsJson(capture.logs)},"logsTruncated":${capture.logs.truncated}}`;
  return outcome.ok
    ? head + '"ok":true,' + (outcome.json === undefined ? '' : `"result":${outcome.json},`) + tail
    : head + `"ok":false,"error":${frameJson(outcome.error)},` + tail;
}
