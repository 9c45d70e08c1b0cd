// Operational routes, no key needed: health, OpenAPI document, Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.js';
import { LayerView, StringEnum } from '../schemas.js';
import { HEALTH_CHECKS } from '../../services/health.js';
import { PAUSABLE_WORK, pausedWork } from '../../services/paused-work.js';

const Problems = Type.Array(
  Type.Object({
    check: StringEnum(HEALTH_CHECKS),
    problem: Type.String({ description: 'what fails, in words; the server log has the details and what to do' }),
  }),
  { description: 'what is failing now: records (the store refuses execution records), jobs (claiming background work fails), secrets (sealed values no configured master key opens), sandboxes (sandboxes cannot be started: calls that need a new one fail)' },
);

const Health = {
  paused: Type.Array(StringEnum(PAUSABLE_WORK), {
    description: 'background work this server holds back: jobs (AIRLOCK_JOBS=paused), schedules (AIRLOCK_SCHEDULES=paused); empty normally',
  }),
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
        summary: 'Liveness, basic facts, and what is failing (degraded)',
        description:
          '200 while the server answers calls: status ok, or degraded when part of it is failing (problems says what; ' +
          'the gauge airlock_health_problems has the same). 503 once it is shutting down.',
        security: [],
        response: {
          200: Type.Object({ status: StringEnum(['ok', 'degraded'] as const), problems: Problems, ...Health }),
          503: Type.Object({ status: Type.Literal('shutting-down'), ...Health }),
        },
      },
    },
    async (_request, reply) => {
      const body = { paused: pausedWork(deps.config), isolation: deps.isolation, layers: deps.layers, version: deps.version };
      if (deps.isShuttingDown()) return reply.status(503).send({ status: 'shutting-down', ...body });
      const problems = deps.health();
      return { status: problems.length === 0 ? 'ok' : 'degraded', problems, ...body };
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
