// A run's answer: the handler's result as JSON text (refused when it is not plain JSON data or
// above the run's result limit, with what to do instead), and the done frame that carries it or
// the error, with the run's remaining log entries. The frame is built as text around the result's
// JSON, so a large result is serialized once.
import type { HarnessError } from '../protocol.js';
import type { Capture } from './capture.js';
import { HarnessFailure, safeMessage } from './errors.js';
import { byteLength, jsonStringify } from './primordials.js';

export type Outcome = { ok: true; json: string | undefined } | { ok: false; error: HarnessError };

export function serializeResult(result: unknown, limit: number): string | undefined {
  if (result === undefined) return undefined;
  let json: string | undefined;
  try {
    json = jsonStringify(result, (_key, value: unknown) => {
      const kind = typeof value;
      if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {
        throw new TypeError(`a ${kind} cannot be represented in JSON`);
      }
      return value;
    });
  } catch (err) {
    throw new HarnessFailure(
      'ResultNotSerializable',
      `the function's result is not JSON-serializable (${safeMessage(err)}); ` +
        'return plain objects, arrays, strings, numbers, booleans or null',
    );
  }
  if (json === undefined) return undefined;
  const size = byteLength(json, 'utf8');
  if (size > limit) {
    throw new HarnessFailure(
      'ResultTooLarge',
      `the result is ${size} bytes of JSON, above the limit of ${limit} bytes; return less data ` +
        'or raise limits.resultBytes when deploying the function (up to the operator maximum)',
    );
  }
  return json;
}

/** The `done` frame (JSON text) of the run of `capture`. */
export function doneFrame(capture: Capture, outcome: Outcome): string {
  const head = `{"t":"done","id":${jsonStringify(capture.id)},`;
  const tail = `"logs":${jsonStringify(capture.entries)},"logsTruncated":${capture.truncated}}`;
  return outcome.ok
    ? head + '"ok":true,' + (outcome.json === undefined ? '' : `"result":${outcome.json},`) + tail
    : head + `"ok":false,"error":${jsonStringify(outcome.error)},` + tail;
}
