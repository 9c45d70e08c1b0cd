// The shape of the JSON answers whose fields the CLI reads, and a check that an answer has it.
// A server that is not Airlock can answer 200 with JSON of another shape; without this check the
// CLI would crash on it ("Cannot read properties of undefined"). The client turns a mismatch into
// NOT_AIRLOCK naming the URL (client.ts `read`). A shape lists only the fields the CLI reads:
// other fields, and fields a newer server adds, pass.

type Leaf = 'string' | 'number' | 'boolean' | 'unknown';

/** Marks a list or object shape as optional (see `optional`). */
const OPTIONAL: unique symbol = Symbol('optional');

/** A list or object field that may be absent: `optional({ host: 'string' })`. */
export interface Optional<S> {
  readonly [OPTIONAL]: S;
}

/**
 * A JSON type (`'string'`), optional (`'string?'`: absent or a string), nullable
 * (`'string|null'`, `'string|null?'`), an array of one shape (`['string']`), an object with
 * these fields (`{ id: 'string' }`), or an optional array or object (`optional(…)`).
 */
export type Shape =
  | Leaf
  | `${Leaf}?`
  | `${Leaf}|null`
  | `${Leaf}|null?`
  | readonly [Shape]
  | Optional<Shape>
  | { readonly [field: string]: Shape };

/** The list or object `shape`, or nothing at all. */
export function optional<const S extends Shape>(shape: S): Optional<S> {
  return { [OPTIONAL]: shape };
}

type LeafType<L> = L extends 'string' ? string : L extends 'number' ? number : L extends 'boolean' ? boolean : unknown;

/** The TypeScript type of a value that has shape `S`. */
export type ShapeOf<S> = [S] extends [Optional<infer O>]
  ? ShapeOf<O> | undefined
  : S extends `${infer L}|null?`
    ? LeafType<L> | null | undefined
    : S extends `${infer L}|null`
      ? LeafType<L> | null
      : S extends `${infer L}?`
        ? LeafType<L> | undefined
        : S extends string
          ? LeafType<S>
          : S extends readonly [infer E]
            ? ShapeOf<E>[]
            : { -readonly [K in keyof S]: ShapeOf<S[K]> };

/** What a JSON value is, in words: "a string", "null", "an array", … */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `"jobs[0].id"` for the field at `path`, or `the answer` for the whole of it. */
function where(path: string): string {
  return path === '' ? 'the answer' : `"${path}"`;
}

/**
 * Where `value` differs from `shape`, in words (`"jobs" is missing`, `"jobs[0].runs" is a string,
 * not a number`), or undefined when it has the shape. Only the first difference is told.
 */
export function shapeProblem(value: unknown, shape: Shape, path = ''): string | undefined {
  if (typeof shape === 'string') {
    const optional = shape.endsWith('?');
    const nullable = shape.includes('|null');
    const type = shape.replace(/\|null/, '').replace(/\?$/, '');
    if (value === undefined) return optional ? undefined : `${where(path)} is missing`;
    if (value === null) return nullable ? undefined : `${where(path)} is null, not a ${type}`;
    if (type === 'unknown' || typeof value === type) return undefined;
    return `${where(path)} is ${kind(value)}, not a ${type}`;
  }
  if (OPTIONAL in shape) return value === undefined ? undefined : shapeProblem(value, (shape as Optional<Shape>)[OPTIONAL], path);
  if (Array.isArray(shape)) {
    if (value === undefined) return `${where(path)} is missing`;
    if (!Array.isArray(value)) return `${where(path)} is ${kind(value)}, not a list`;
    const item = (shape as readonly [Shape])[0];
    for (let i = 0; i < value.length; i++) {
      const problem = shapeProblem(value[i], item, `${path}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (value === undefined) return `${where(path)} is missing`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${where(path)} is ${kind(value)}, not an object`;
  for (const [field, fieldShape] of Object.entries(shape)) {
    const fieldValue = Object.hasOwn(value, field) ? (value as Record<string, unknown>)[field] : undefined;
    const problem = shapeProblem(fieldValue, fieldShape, path === '' ? field : `${path}.${field}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
