// Execution records: one by id, or a filtered, paged list (newest first). Tenant-scoped.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AirlockError } from '../../core/errors.js';
import { ListPage } from '../list-page.js';
import { executionIdRange } from '../time-range.js';
import { requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { ExecutionParams, ExecutionQuery, ExecutionView, NullableString, TenantParams } from '../schemas.js';
import { executionView } from '../views.js';
import type { ApiDeps } from '../deps.js';

export function registerExecutionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { tenant: string; id: string } }>(
    '/v1/tenants/:tenant/executions/:id',
    {
      schema: {
        operationId: 'getExecution',
        tags: ['executions'],
        summary: 'Read one execution',
        params: ExecutionParams,
        response: { 200: ExecutionView, ...errorResponses('EXECUTION_NOT_FOUND') },
      },
    },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenant(request, tenant);
      const rec = await deps.recorder.get(tenant, id);
      if (!rec) {
        throw new AirlockError('EXECUTION_NOT_FOUND', `no execution ${id} for tenant ${tenant}`);
      }
      return executionView(rec);
    },
  );

  app.get<{ Params: { tenant: string }; Querystring: ExecutionQuery }>(
    '/v1/tenants/:tenant/executions',
    {
      schema: {
        operationId: 'listExecutions',
        tags: ['executions'],
        summary: 'List executions, newest first (?function=&status=&job=&since=&until=&before=&limit=)',
        description:
          'A page holds at most limit records and stops once its records reach AIRLOCK_LIST_PAGE_BYTES of JSON (4 MiB by ' +
          'default; at least one record per page). next is set when there may be more: pass it as before for the next page.',
        params: TenantParams,
        querystring: ExecutionQuery,
        response: {
          200: Type.Object({ executions: Type.Array(ExecutionView), next: NullableString() }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      requireTenant(request, tenant);
      const q = request.query;
      const range = executionIdRange(q);
      const limit = q.limit ?? 50;
      const page = new ListPage(deps.config.listPageBytes, limit, executionView);
      const list = await deps.recorder.list(tenant, {
        limit,
        budget: page.budget,
        ...(q.function === undefined ? {} : { function: q.function }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.job === undefined ? {} : { job: q.job }),
        ...(q.before === undefined ? {} : { before: q.before }),
        ...range,
      });
      // An unknown cursor lists nothing: only an empty page needs telling apart from the list's end.
      if (list.length === 0 && q.before !== undefined && (await deps.recorder.get(tenant, q.before)) === undefined) {
        throw new AirlockError(
          'VALIDATION_FAILED',
          `before=${q.before} names no execution of tenant ${tenant}; pass the "next" value of the previous page, or leave before out for the first page`,
        );
      }
      const { items, next } = page.answer(list);
      return { executions: items, next };
    },
  );
}
