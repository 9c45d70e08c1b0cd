// How the API describes itself at GET /openapi.json (@fastify/swagger, from the same schemas that
// validate requests): the document's header, its tags, and the corrections of what the generator
// cannot know by itself (a body that may be left out).
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { allOptional } from './validators.js';

/** Every route carries one of these tags (test/api/openapi.test.ts checks it). */
export const TAGS = [
  { name: 'functions', description: 'deploy, read, list and delete functions' },
  { name: 'invoke', description: 'run a function and answer with its result' },
  { name: 'executions', description: 'execution records' },
  { name: 'jobs', description: 'durable background jobs (docs/jobs.md)' },
  { name: 'webhooks', description: 'webhook deliveries and tokens (docs/webhooks.md)' },
  { name: 'schedules', description: 'cron and interval schedules (docs/schedules.md)' },
  { name: 'tenants', description: 'the tenants with anything stored; deleting one whole (admin key)' },
  { name: 'keys', description: 'tenant API keys' },
  { name: 'secrets', description: 'tenant secrets for egress (docs/secrets.md)' },
  { name: 'ops', description: 'health, this document, metrics (no key)' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

type Operation = { requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> } };

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Airlock',
        version,
        description: 'Runs untrusted tenant functions in kernel-isolated sandboxes.',
      },
      tags: TAGS.map((t) => ({ ...t })),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Shared schemas are named by their $id (#/components/schemas/Error), not def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      for (const path of Object.values(document.openapiObject.paths ?? {})) {
        for (const op of Object.values(path as Record<string, Operation>)) markOptionalBody(op);
      }
      return document.openapiObject;
    },
  });
}

/**
 * The generator marks every request body required; a body whose schema requires no field may be
 * left out (validators.ts), and the document says so.
 */
function markOptionalBody(op: Operation): void {
  const body = op.requestBody;
  if (body === undefined) return;
  const schemas = Object.values(body.content ?? {}).map((media) => media.schema);
  if (schemas.length > 0 && schemas.every(allOptional)) body.required = false;
}
