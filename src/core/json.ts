// Guards for untrusted JSON values: nesting depth (checked without recursion, so a deeply
// nested bomb cannot overflow the stack), numbers too large for a double in inputs, serialized
// size, and parsing that never lets a `__proto__` or `constructor` key touch a prototype.
import sjson from 'secure-json-parse';
import { AirlockError } from './errors.js';

/** JSON.parse that drops `__proto__` and `constructor.prototype` keys instead of applying them. */
export function parseJsonSafely(text: string): unknown {
  return sjson.parse(text, null, { protoAction: 'remove', constructorAction: 'remove' }) as unknown;
}

/** Why an input cannot be passed on as it is. */
export type InputProblem = 'too-deep' | 'non-finite';

/**
 * True when `value` nests arrays/objects deeper than `maxDepth`. Iterative. Only containers with
 * something inside are kept to look at later (an empty one is checked where it is found), in two
 * parallel stacks, so a wide input costs little: a 5 MiB array of empty arrays made the old
 * stack of {node, depth} records take about 120 MiB, more than the parsed input itself.
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  return walk(value, maxDepth, false) === 'too-deep';
}

/**
 * What is wrong with a function input parsed from JSON, in one walk: nesting deeper than
 * `maxDepth`, or a number JSON.parse read as ±Infinity (a literal beyond ±1.8e308, like 1e400),
 * which would reach the function as null. The first problem found.
 */
export function inputProblem(value: unknown, maxDepth: number): InputProblem | undefined {
  return walk(value, maxDepth, true);
}

function walk(value: unknown, maxDepth: number, numbers: boolean): InputProblem | undefined {
  if (typeof value === 'number') return numbers && !Number.isFinite(value) ? 'non-finite' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (maxDepth < 1) return 'too-deep';
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    // Indexed, not for…of: before the loop is optimised, each iteration's result is an object.
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (typeof child === 'number') {
        if (numbers && !Number.isFinite(child)) return 'non-finite';
        continue;
      }
      if (child === null || typeof child !== 'object') continue;
      if (depth + 1 > maxDepth) return 'too-deep';
      if (hasEntries(child)) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return undefined;
}

function hasEntries(container: object): boolean {
  if (Array.isArray(container)) return container.length > 0;
  for (const _ in container) return true;
  return false;
}

/**
 * A function input already checked for depth and serialized, by the parser thread that read its
 * large request body (json-thread/): serializeInput takes it as it is, so the event loop
 * never walks or stringifies it. `problem` is inputProblem's answer for AIRLOCK_MAX_JSON_DEPTH.
 */
export class SerializedInput {
  readonly json: string;
  /** Bytes of `json` as UTF-8. */
  readonly bytes: number;
  readonly problem: InputProblem | undefined;

  constructor(json: string, bytes: number, problem: InputProblem | undefined) {
    this.json = json;
    this.bytes = bytes;
    this.problem = problem;
  }
}

/**
 * Serializes a function input, enforcing the depth and byte limits. Throws INPUT_TOO_DEEP or
 * INPUT_TOO_LARGE with the limit in the message; `operatorMaxBytes` (AIRLOCK_MAX_INPUT_BYTES)
 * says whether redeploying with a higher limit can help. A SerializedInput was checked for
 * depth against the same maximum when it was parsed.
 */
export function serializeInput(input: unknown, maxDepth: number, maxBytes: number, operatorMaxBytes: number): string {
  return checkedInput(input, maxDepth, maxBytes, operatorMaxBytes).json;
}

/**
 * serializeInput's checks, answering the input as a SerializedInput: a job's payload that holds
 * it is stored with this text spliced in (stringifyWithInput), not serialized a second time.
 */
export function checkedInput(input: unknown, maxDepth: number, maxBytes: number, operatorMaxBytes: number): SerializedInput {
  const serialized = input instanceof SerializedInput ? input : undefined;
  const problem = serialized === undefined ? inputProblem(input, maxDepth) : serialized.problem;
  if (problem === 'too-deep') {
    throw new AirlockError(
      'INPUT_TOO_DEEP',
      `input nests deeper than ${maxDepth} levels; flatten it (operators: AIRLOCK_MAX_JSON_DEPTH)`,
      { maxDepth },
    );
  }
  if (problem === 'non-finite') {
    throw new AirlockError(
      'BAD_REQUEST',
      'input has a number too large for a double (a literal beyond ±1.8e308, like 1e400, reads as Infinity, ' +
        'which JSON cannot carry: the function would get null); send such numbers as strings',
    );
  }
  const json = inputJsonOf(input);
  const bytes = serialized?.bytes ?? Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new AirlockError(
      'INPUT_TOO_LARGE',
      `input is ${bytes} bytes as compact UTF-8 JSON, above this function's limit of ${maxBytes}; send less, or ` +
        (maxBytes < operatorMaxBytes
          ? `redeploy the function with a higher limits.inputBytes (at most ${operatorMaxBytes}, the operator maximum)`
          : 'ask the operator to raise AIRLOCK_MAX_INPUT_BYTES (the function already has the maximum)'),
      { bytes, limit: maxBytes },
    );
  }
  return serialized ?? new SerializedInput(json, bytes, undefined);
}

/** An input's JSON text: a SerializedInput's as it is, any other value serialized (undefined as null). */
export function inputJsonOf(input: unknown): string {
  return input instanceof SerializedInput ? input.json : JSON.stringify(input === undefined ? null : input);
}

/**
 * JSON.stringify, except that an object whose `input` is a SerializedInput (a job's payload from a
 * large request body) gets that input's JSON text as it is, not walked and serialized again.
 */
export function stringifyWithInput(value: unknown): string | undefined {
  if (!isRecord(value) || !(value.input instanceof SerializedInput)) return JSON.stringify(value);
  const { input, ...rest } = value;
  const others = JSON.stringify(rest);
  return others === '{}' ? `{"input":${input.json}}` : `{"input":${input.json},${others.slice(1)}`;
}

/** A JSON object: not null, not an array (what a parsed `{…}` is). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
