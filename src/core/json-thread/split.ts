// What the parser thread sends back for a large request body, and how it is made: the body's
// fields other than `input` (or a batch's `inputs`) as they are, and each input checked for depth and serialized, so
// that the event loop gets a string to pass on instead of an object graph to walk. A body that
// is not an object comes back as a stand-in of the same JSON type, refused by the route's
// schema with the same words as the body itself would be ("body must be object").
import { inputProblem, SerializedInput } from '../json.js';
import type { InputProblem } from '../json.js';

export interface SerializedInputParts {
  json: string;
  /** Bytes of `json` as UTF-8. */
  bytes: number;
  /** inputProblem's answer: with one, `json` is empty, never serialized. */
  problem?: InputProblem;
}

export type ParsedInputBody =
  | { kind: 'object'; rest: Record<string, unknown>; input?: SerializedInputParts; inputs?: SerializedInputParts[] }
  | { kind: 'other'; standIn: unknown };

export function splitInputBody(body: unknown, maxDepth: number): ParsedInputBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { kind: 'other', standIn: standInFor(body) };
  const { input, inputs, ...rest } = body as Record<string, unknown>;
  const parsed: ParsedInputBody = { kind: 'object', rest };
  if (Object.hasOwn(body, 'input')) parsed.input = partsOf(input, maxDepth);
  // A batch's inputs (invoke-batch), each on its own; anything but an array stays for the schema to refuse.
  if (Array.isArray(inputs)) parsed.inputs = inputs.map((item) => partsOf(item, maxDepth));
  else if (Object.hasOwn(body, 'inputs')) rest.inputs = inputs;
  return parsed;
}

function partsOf(input: unknown, maxDepth: number): SerializedInputParts {
  const problem = inputProblem(input, maxDepth);
  if (problem !== undefined) return { json: '', bytes: 0, problem };
  const json = JSON.stringify(input);
  return { json, bytes: Buffer.byteLength(json) };
}

/** The input of a split body as the services take it. */
export function serializedInputOf(parts: SerializedInputParts): SerializedInput {
  return new SerializedInput(parts.json, parts.bytes, parts.problem);
}

/** A small value of the same JSON type as `body` (never an object: those are split). */
function standInFor(body: unknown): unknown {
  if (Array.isArray(body)) return [];
  switch (typeof body) {
    case 'string':
      return '';
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
