// The parts of the server's JSON answers the CLI reads, as TypeBox schemas (the library the API's
// own schemas are written with), and the check that an answer has them. A server that is not
// Airlock can answer 200 with JSON of another shape; without the check the CLI would crash on it
// ("Cannot read properties of undefined"). The client turns a mismatch into NOT_AIRLOCK naming
// the URL (client.ts `read`). A schema lists only the fields the CLI reads: other fields, and
// fields a newer server adds, pass.
import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** `schema` or null. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** A JSON Pointer from the validator (`/jobs/0/id`) as a reader writes it: `"jobs[0].id"`. */
function fieldOf(pointer: string): string {
  if (pointer === '') return 'the answer';
  const path = pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`), '');
  return `"${path}"`;
}

/**
 * Where `value` differs from `schema`, in words (`"jobs" is missing`, `"jobs[0].runs": expected
 * number`), or undefined when it fits. Only the first difference is told.
 */
export function answerProblem(schema: TSchema, value: unknown): string | undefined {
  const first = Value.Errors(schema, value).First();
  if (first === undefined) return undefined;
  const field = fieldOf(first.path);
  return first.message === 'Expected required property' ? `${field} is missing` : `${field}: ${first.message.toLowerCase()}`;
}
