// Function routes: deploy (PUT), read, list, delete. Deploys create immutable versions; the routes
// of a function's versions (list, rollback, source) are in function-versions.ts.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { audit } from '../audit.js';
import { requireTenant } from '../auth.js';
import { deployBodyLimit } from '../body-limits.js';
import { errorResponses } from '../error-responses.js';
import { DeployBody, DeployedFunctionView, FunctionParams, FunctionSummaryView, FunctionView, TenantParams, VersionQuery } from '../schemas.js';
import { functionSummaryView, functionView } from '../views.js';
import type { ApiDeps } from '../deps.js';

type Params = { tenant: string; name: string };

export function registerFunctionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { functions, functionCache, webhookTokens, webhookVerifier, schedules, jobs } = deps;

  app.put<{ Params: Params; Body: DeployBody }>(
    '/v1/tenants/:tenant/functions/:name',
    {
      bodyLimit: deployBodyLimit(deps.config),
      config: { bodyHolds: 'source' },
      schema: {
        operationId: 'deployFunction',
        tags: ['functions'],
        summary: 'Deploy a new immutable version of a function',
        params: FunctionParams,
        body: DeployBody,
        response: {
          200: DeployedFunctionView,
          201: DeployedFunctionView,
          ...errorResponses('SYNTAX_ERROR', 'UNSUPPORTED_SYNTAX', 'MISSING_HANDLER', 'UNRESOLVABLE_IMPORT', 'SOURCE_TOO_LARGE', 'TOO_MANY_REQUESTS', 'SYNTAX_CHECK_FAILED'),
        },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { version, created, previousLatest } = await functions.deploy(tenant, name, request.body);
      functionCache.invalidate(tenant, name);
      // A new function gets its webhook token; redeploys keep the token, or keep the webhook off.
      const webhook = previousLatest === undefined ? await webhookTokens.ensure(tenant, name) : await webhookTokens.find(tenant, name);
      const verify = await webhookVerifier.find(tenant, name);
      audit(request, 'function.deploy', tenant, `function/${name}`, { version: version.version, created });
      return reply.status(created ? 201 : 200).send({ ...functionView(version, created, webhook, verify, deps.config.publicUrl), previousVersion: previousLatest ?? null });
    },
  );

  app.get<{ Params: Params; Querystring: { version?: string } }>(
    '/v1/tenants/:tenant/functions/:name',
    {
      schema: {
        operationId: 'getFunction',
        tags: ['functions'],
        summary: 'Read a function (latest version, or ?version=)',
        params: FunctionParams,
        querystring: VersionQuery,
        response: { 200: FunctionView, ...errorResponses('FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'VERSION_AMBIGUOUS') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const fn = await functions.get(tenant, name, request.query.version);
      return functionView(fn, undefined, await webhookTokens.find(tenant, name), await webhookVerifier.find(tenant, name), deps.config.publicUrl);
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/functions',
    {
      schema: {
        operationId: 'listFunctions',
        tags: ['functions'],
        summary: "List a tenant's functions",
        params: TenantParams,
        response: { 200: Type.Object({ functions: Type.Array(FunctionSummaryView) }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      requireTenant(request, tenant);
      const list = await functions.list(tenant);
      return { functions: list.map(functionSummaryView) };
    },
  );

  app.delete<{ Params: Params }>(
    '/v1/tenants/:tenant/functions/:name',
    {
      schema: {
        operationId: 'deleteFunction',
        tags: ['functions'],
        summary: 'Delete a function, all its versions, its webhook token and signature verification, and its schedules (executions and jobs are kept; its running jobs stop and fail FUNCTION_NOT_FOUND)',
        params: FunctionParams,
        response: { 204: Type.Null(), ...errorResponses('FUNCTION_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      await functions.delete(tenant, name);
      // Its running jobs and webhook deliveries stop now (their code could go on calling out for
      // up to their slice cap), before anything else is awaited: a function deployed again under
      // the name later has jobs of its own that must not be stopped. Queued ones fail as they start.
      const stoppedJobs = jobs.stopFunction(tenant, name);
      functionCache.invalidate(tenant, name);
      webhookVerifier.forget(tenant, name);
      webhookTokens.forget(tenant, name);
      // Its schedules would only record an error at every occurrence from now on.
      const deleted = await schedules.deleteForFunction(tenant, name);
      audit(request, 'function.delete', tenant, `function/${name}`, { schedulesDeleted: deleted.length, stoppedJobs });
      if (deleted.length > 0) request.log.info({ tenant, function: name, schedules: deleted }, 'deleted the schedules of a deleted function');
      return reply.status(204).send();
    },
  );
}
