// Tenant routes (admin key only): GET /v1/tenants lists the tenants with anything stored, by
// name, paged with `after`; GET /v1/tenants/{tenant} shows one; DELETE /v1/tenants/{tenant} deletes everything of one tenant
// (offboarding) and answers what it deleted.
import type { FastifyInstance } from 'fastify';
import { audit } from '../audit.js';
import { requireAdmin } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { TenantParams } from '../schemas.js';
import { TenantDeletionView, TenantList, TenantsQuery, TenantView } from '../tenant-schemas.js';
import type { ApiDeps } from '../deps.js';

/** The admin-only actions, as refusals name them. */
const READ = 'read tenants';
const DELETE = 'delete tenants';

export function registerTenantRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: TenantsQuery }>(
    '/v1/tenants',
    {
      schema: {
        operationId: 'listTenants',
        tags: ['tenants'],
        summary: 'List the tenants that have anything stored, by name (admin key; ?after=&limit=)',
        description:
          'A tenant is listed when it has functions, keys, secrets, schedules, queue items, execution records or queue state. ' +
          'Each page costs a few index seeks per tenant, whatever the number of executions.',
        querystring: TenantsQuery,
        response: { 200: TenantList, ...errorResponses('FORBIDDEN') },
      },
    },
    async (request) => {
      requireAdmin(request, 'list tenants', (tenant) => `a tenant key sees its own tenant: GET /v1/tenants/${tenant ?? '{tenant}'}/functions`);
      return deps.tenants.list(request.query.after, request.query.limit ?? 50);
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant',
    {
      config: { adminOnly: READ },
      schema: {
        operationId: 'getTenant',
        tags: ['tenants'],
        summary: "One tenant's counts, as listed (admin key); TENANT_NOT_FOUND when nothing is stored under its name",
        params: TenantParams,
        response: { 200: TenantView, ...errorResponses('FORBIDDEN', 'TENANT_NOT_FOUND') },
      },
    },
    async (request) => {
      requireAdmin(request, READ, (tenant) => `a tenant key sees its own tenant: GET /v1/tenants/${tenant ?? '{tenant}'}/functions`);
      return deps.tenants.get(request.params.tenant);
    },
  );

  app.delete<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant',
    {
      config: { adminOnly: DELETE },
      schema: {
        operationId: 'deleteTenant',
        tags: ['tenants'],
        summary: 'Delete everything of a tenant (admin key): functions, keys, secrets, schedules, jobs, executions',
        description:
          'Its keys stop working at once on this server (within 1 s on other servers sharing the database), its running jobs are ' +
          'cancelled and its sandboxes retired. Answers the rows deleted. complete: false means the time budget ran out: call again.',
        params: TenantParams,
        response: { 200: TenantDeletionView, ...errorResponses('FORBIDDEN', 'TENANT_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request) => {
      requireAdmin(request, DELETE, () => 'ask the operator to delete it (airlock tenants delete <tenant> --yes)');
      const { tenant } = request.params;
      const result = await deps.tenants.delete(tenant);
      audit(request, 'tenant.delete', tenant, `tenant/${tenant}`, {
        complete: result.complete,
        stoppedJobs: result.stoppedJobs,
        retiredSandboxes: result.retiredSandboxes,
        ...result.deleted,
      });
      return result;
    },
  );
}
