// Request validation, one Ajv per kind of request part. Query strings, path params and headers
// arrive as text, so they are coerced to the schema's types ("?limit=10" is the number 10).
// JSON bodies carry their own types and are not: `"timeoutMs": "100"` is refused with a 400
// that names the field, instead of being read as 100, so a client's type mistake shows at once
// (and a scalar is no longer wrapped into the array a schema asks for).
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type ValidatorFactory = NonNullable<NonNullable<SchemaController['compilersFactory']>['buildValidator']>;

/** Every part: unknown fields are refused where a schema says so, never silently removed. */
const SHARED = { removeAdditional: false, allErrors: false } as const;

/** The validator factory for Fastify's schemaController: strict bodies, coerced text parts. */
export const buildValidator: ValidatorFactory = (externalSchemas) => {
  const pool = AjvCompiler();
  const body = pool(externalSchemas, { customOptions: { ...SHARED, coerceTypes: false } });
  const text = pool(externalSchemas, { customOptions: { ...SHARED, coerceTypes: 'array' } });
  return (route) => (route.httpPart === 'body' ? body(route) : text(route));
};
