// Request validation, one Ajv per kind of request part. Query strings, path params and headers
// arrive as text, so they are coerced to the schema's types ("?limit=10" is the number 10).
// JSON bodies carry their own types and are not: `"timeoutMs": "100"` is refused with a 400
// that names the field, instead of being read as 100, so a client's type mistake shows at once
// (and a scalar is no longer wrapped into the array a schema asks for). A body whose schema
// requires no field (invoke, job submission, key creation) may be left out altogether: the
// route then reads it as every field left out.
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type ValidatorFactory = NonNullable<NonNullable<SchemaController['compilersFactory']>['buildValidator']>;

/** Every part: unknown fields are refused where a schema says so, never silently removed. */
const SHARED = { removeAdditional: false, allErrors: false } as const;

type Validate = ReturnType<ReturnType<ValidatorFactory>>;

/**
 * An object schema none of whose fields is required: no body at all means all of them left out.
 * (Also what /openapi.json says of such a body: openapi.ts.)
 */
export function allOptional(schema: unknown): boolean {
  const s = schema as { type?: unknown; required?: unknown };
  return s.type === 'object' && (!Array.isArray(s.required) || s.required.length === 0);
}

/** `validate`, also passing a missing body (undefined or null); its errors and Ajv's schemaEnv carried over. */
function orNoBody(validate: Validate): Validate {
  const wrapped = ((data: unknown, ...rest: unknown[]) =>
    data === undefined || data === null ? true : (validate as (...args: unknown[]) => unknown)(data, ...rest)) as Validate;
  Object.defineProperty(wrapped, 'errors', { get: () => (validate as { errors?: unknown }).errors });
  const env = (validate as { schemaEnv?: unknown }).schemaEnv;
  if (env !== undefined) Object.defineProperty(wrapped, 'schemaEnv', { value: env });
  return wrapped;
}

/** The validator factory for Fastify's schemaController: strict bodies, coerced text parts. */
export const buildValidator: ValidatorFactory = (externalSchemas) => {
  const pool = AjvCompiler();
  const body = pool(externalSchemas, { customOptions: { ...SHARED, coerceTypes: false } });
  const text = pool(externalSchemas, { customOptions: { ...SHARED, coerceTypes: 'array' } });
  return (route) => {
    if (route.httpPart !== 'body') return text(route);
    const validate = body(route);
    return allOptional(route.schema) ? orNoBody(validate) : validate;
  };
};
