// GET /v1/executions: executions across tenants for the operator (admin key only), newest first,
// paged like the tenant-scoped list. Without `tenant`, `status` must name an ending other than
// `succeeded` (failed, timeout, oom, killed, rejected): those are indexed across tenants
// (store migration 14); with `tenant` it is that tenant's list with any filter.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AirlockError } from '../../core/errors.js';
import { executionIdRange } from '../time-range.js';
import { ListPage } from '../list-page.js';
import type { ExecutionRecord } from '../../core/types.js';
import { requireAdmin } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { AllExecutionsQuery, ExecutionView, NullableString } from '../schemas.js';
import { executionView } from '../views.js';
import type { ApiDeps } from '../deps.js';

export function registerAllExecutionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: AllExecutionsQuery }>(
    '/v1/executions',
    {
      schema: {
        operationId: 'listAllExecutions',
        tags: ['executions'],
        summary: 'List executions across tenants, newest first (admin key; ?status=&tenant=&function=&since=&until=&before=&limit=)',
        description:
          'Without tenant, status is required and must not be succeeded: executions that did not succeed are indexed ' +
          'across tenants. With tenant, it lists that tenant like GET /v1/tenants/{tenant}/executions.',
        querystring: AllExecutionsQuery,
        response: {
          200: Type.Object({ executions: Type.Array(ExecutionView), next: NullableString() }),
          ...errorResponses('FORBIDDEN'),
        },
      },
    },
    async (request) => {
      requireAdmin(request, 'list executions across tenants', (tenant) =>
        `a tenant key lists its own tenant's: GET /v1/tenants/${tenant ?? '{tenant}'}/executions?status=… (airlock executions ${tenant ?? '<tenant>'} --status …)`);
      const q = request.query;
      const range = executionIdRange(q);
      const limit = q.limit ?? 50;
      // A page also stops at the list byte budget (AIRLOCK_LIST_PAGE_BYTES), like the tenant's list.
      const page = new ListPage(deps.config.listPageBytes, limit, executionView);
      const filters = {
        limit,
        budget: page.budget,
        ...(q.function === undefined ? {} : { function: q.function }),
        ...(q.before === undefined ? {} : { before: q.before }),
        ...range,
      };
      let list: ExecutionRecord[];
      if (q.tenant !== undefined) {
        list = await deps.recorder.list(q.tenant, { ...filters, ...(q.status === undefined ? {} : { status: q.status }) });
      } else if (q.status === undefined || q.status === 'succeeded') {
        throw new AirlockError(
          'VALIDATION_FAILED',
          `listing executions across tenants needs status= one of failed, timeout, oom, killed, rejected` +
            `${q.status === 'succeeded' ? ' (succeeded executions are listed per tenant)' : ''}; or add tenant= to list one tenant with any filter`,
        );
      } else {
        list = await deps.recorder.listAll({ ...filters, status: q.status });
      }
      const { items, next } = page.answer(list);
      return { executions: items, next };
    },
  );
}
