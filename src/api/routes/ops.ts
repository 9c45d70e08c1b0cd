// Operational routes, no key needed: health, OpenAPI document, Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.js';
import { LayerView } from '../schemas.js';

const Health = {
  isolation: Type.String(),
  layers: Type.Array(LayerView, { description: 'isolation layers attested at startup' }),
  version: Type.String(),
};

export function registerOpsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['ops'],
        summary: 'Liveness and basic facts',
        security: [],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), ...Health }),
          503: Type.Object({ status: Type.Literal('shutting-down'), ...Health }),
        },
      },
    },
    async (_request, reply) => {
      const body = { isolation: deps.isolation, layers: deps.layers, version: deps.version };
      if (deps.isShuttingDown()) return reply.status(503).send({ status: 'shutting-down', ...body });
      return { status: 'ok', ...body };
    },
  );

  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApi',
        tags: ['ops'],
        summary: 'This document (OpenAPI 3.0)',
        security: [],
        response: { 200: { description: 'the OpenAPI document', content: { 'application/json': { schema: {} } } } },
      },
    },
    async () => app.swagger(),
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['ops'],
        summary: 'Prometheus metrics (text exposition format)',
        security: [],
        response: { 200: { description: 'metrics in the Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await deps.metrics.render();
      return reply.header('content-type', contentType).send(body);
    },
  );
}
