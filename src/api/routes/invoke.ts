// POST .../invoke: run a function and answer with its execution in the same request.
import type { FastifyInstance } from 'fastify';
import { requireTenant } from '../auth.js';
import { clientGone } from '../client-gone.js';
import { errorResponses } from '../error-responses.js';
import { FunctionParams, InvokeBody, InvokeResult } from '../schemas.js';
import type { ApiDeps } from '../deps.js';
import type { InvokeRequest } from '../../services/invoke.js';

export function registerInvokeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Params: { tenant: string; name: string }; Body: InvokeBody | undefined }>(
    '/v1/tenants/:tenant/functions/:name/invoke',
    {
      bodyLimit: deps.config.maxBodyBytes,
      schema: {
        operationId: 'invokeFunction',
        tags: ['invoke'],
        summary: 'Invoke a function and wait for its result',
        description:
          'Runs the function once per request: an invoke retried after a client timeout runs it again (there is no ' +
          'idempotency key on invoke; submit a job for that). A call admission refuses is a 429, not a 200 with status rejected.',
        params: FunctionParams,
        body: InvokeBody,
        response: { 200: InvokeResult, ...errorResponses('FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'VERSION_AMBIGUOUS', 'INPUT_TOO_LARGE', 'TOO_MANY_REQUESTS') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const body = request.body ?? {};
      const req: InvokeRequest = { input: body.input };
      if (body.version !== undefined) req.version = body.version;
      if (body.timeoutMs !== undefined) req.timeoutMs = body.timeoutMs;
      // A call that waits for a slot is dropped if its client goes away meanwhile.
      return deps.invoke.invoke(tenant, name, req, () => clientGone(reply.raw));
    },
  );
}
