// POST .../invoke: run a function and answer with its execution in the same request.
import type { FastifyInstance } from 'fastify';
import { requireTenant } from '../auth.js';
import { ErrorBody, FunctionParams, InvokeBody, InvokeResult } from '../schemas.js';
import type { ApiDeps } from '../deps.js';

export function registerInvokeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Params: { tenant: string; name: string }; Body: InvokeBody | undefined }>(
    '/v1/tenants/:tenant/functions/:name/invoke',
    {
      bodyLimit: deps.config.maxBodyBytes,
      schema: {
        summary: 'Invoke a function and wait for its result',
        params: FunctionParams,
        body: InvokeBody,
        response: { 200: InvokeResult, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const body = request.body ?? {};
      const req = body.version === undefined ? { input: body.input } : { input: body.input, version: body.version };
      return deps.invoke.invoke(tenant, name, req);
    },
  );
}
