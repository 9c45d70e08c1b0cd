// Routes of a function's versions: list them with the settings each hash covers, make an existing
// one the latest again (a rollback, or a roll forward after one) without redeploying anything,
// and read a version's source as it was deployed (to edit it, or keep it outside Airlock).
import type { FastifyInstance } from 'fastify';
import { audit } from '../audit.js';
import { requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { FunctionParams, VersionQuery } from '../schemas.js';
import { CodeResponse, LatestSetView, SetLatestBody, VersionsView } from '../version-schemas.js';
import { functionView, versionSummaryView } from '../views.js';
import type { ApiDeps } from '../deps.js';

type Params = { tenant: string; name: string };

/** The media type of a version's source: JavaScript's own (RFC 9239); TypeScript has none registered. */
const SOURCE_TYPES = { javascript: 'text/javascript; charset=utf-8', typescript: 'text/plain; charset=utf-8' } as const;

export function registerFunctionVersionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { functions, functionCache, webhookTokens } = deps;

  app.get<{ Params: Params }>(
    '/v1/tenants/:tenant/functions/:name/versions',
    {
      schema: {
        operationId: 'listFunctionVersions',
        tags: ['functions'],
        summary: "List a function's versions by first deploy, newest first, with their settings, and which is the latest",
        description: 'Make one of them the latest again with PUT …/functions/{name}/latest; read its source with GET …/functions/{name}/code?version=.',
        params: FunctionParams,
        response: { 200: VersionsView, ...errorResponses('FUNCTION_NOT_FOUND') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { latest, versions } = await functions.versions(tenant, name);
      return { latest, versions: versions.map(versionSummaryView) };
    },
  );

  app.put<{ Params: Params; Body: SetLatestBody }>(
    '/v1/tenants/:tenant/functions/:name/latest',
    {
      schema: {
        operationId: 'setLatestVersion',
        tags: ['functions'],
        summary: 'Make an existing version the latest again (roll back, or forward), without redeploying it',
        description:
          'Calls that name no version run it from now on (on this server at once; on others sharing the database within 1 s). ' +
          'Calls already running finish on the version they started with, and queued jobs keep the version they were submitted with. ' +
          'The version keeps its own limits, isolation and egress. A version that already is the latest is answered unchanged.',
        params: FunctionParams,
        body: SetLatestBody,
        response: { 200: LatestSetView, ...errorResponses('FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'VERSION_AMBIGUOUS', 'INPUT_TOO_LARGE') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { version, previousLatest } = await functions.setLatest(tenant, name, request.body.version);
      // Like a deploy: this server's next invoke reads the new latest, not a cached one.
      functionCache.invalidate(tenant, name);
      audit(request, 'function.rollback', tenant, `function/${name}`, {
        version: version.version,
        previousVersion: previousLatest,
        changed: previousLatest !== version.version,
      });
      return { ...functionView(version, undefined, await webhookTokens.find(tenant, name), undefined, deps.config.publicUrl), previousVersion: previousLatest };
    },
  );

  app.get<{ Params: Params; Querystring: { version?: string } }>(
    '/v1/tenants/:tenant/functions/:name/code',
    {
      schema: {
        operationId: 'getFunctionCode',
        tags: ['functions'],
        summary: "Read a version's source as deployed (the latest version, or ?version=)",
        params: FunctionParams,
        querystring: VersionQuery,
        response: { 200: CodeResponse, ...errorResponses('FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'VERSION_AMBIGUOUS') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const fn = await functions.get(tenant, name, request.query.version);
      return reply
        .header('content-type', SOURCE_TYPES[fn.runtime])
        .header('x-content-type-options', 'nosniff')
        .header('x-airlock-version', fn.version)
        .header('x-airlock-runtime', fn.runtime)
        .send(fn.source);
    },
  );
}
