// POST .../invoke: run a function and answer with its execution in the same request; POST
// .../invoke-batch: run it once per input (services/invoke-batch.ts) and answer them all in order.
import type { FastifyInstance } from 'fastify';
import { noteExecutionId } from '../access-log.js';
import { requireTenant } from '../auth.js';
import { clientGone } from '../client-gone.js';
import { answerJson, asJsonText, splicesResult, withoutResultJson } from '../result-json.js';
import { errorResponses } from '../error-responses.js';
import { InvokeBatchBody, InvokeBatchResult } from '../batch-schemas.js';
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
      const answer = await deps.invoke.invoke(tenant, name, req, () => clientGone(reply.raw));
      if (!splicesResult(answer)) return withoutResultJson(answer);
      noteExecutionId(request, answer.executionId);
      return asJsonText(reply, answerJson(answer));
    },
  );

  app.post<{ Params: { tenant: string; name: string }; Body: InvokeBatchBody }>(
    '/v1/tenants/:tenant/functions/:name/invoke-batch',
    {
      bodyLimit: deps.config.maxBodyBytes,
      schema: {
        operationId: 'invokeFunctionBatch',
        tags: ['invoke'],
        summary: 'Invoke a function once per input and wait for all the results',
        description:
          'Each input runs as its own execution (record, limits, admission), all on the same version, with at most the ' +
          "tenant's concurrency limit of them at once; the answers come in the order of the inputs. Every input is checked " +
          'first: one too large or too deep refuses the batch (400, naming its index) and nothing runs. An input admission ' +
          'refuses is answered with status rejected in its place, and the answer then has a Retry-After header (seconds).',
        params: FunctionParams,
        body: InvokeBatchBody(deps.config.maxBatchInputs),
        response: { 200: InvokeBatchResult, ...errorResponses('FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'VERSION_AMBIGUOUS', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { inputs, version, timeoutMs } = request.body;
      const batch = await deps.invokeBatch.run(
        tenant, name, { inputs, ...(version === undefined ? {} : { version }), ...(timeoutMs === undefined ? {} : { timeoutMs }) },
        () => clientGone(reply.raw),
        () => reply.raw.destroyed || reply.raw.socket?.destroyed === true,
      );
      // Inputs refused for want of a slot are answered in place; the header says when to send them again.
      if (batch.retryAfterSeconds !== undefined) void reply.header('retry-after', String(batch.retryAfterSeconds));
      if (!batch.results.some(splicesResult)) return { version: batch.version, results: batch.results.map(withoutResultJson) };
      return asJsonText(reply, `{"version":${JSON.stringify(batch.version)},"results":[${batch.results.map(answerJson).join(',')}]}`);
    },
  );
}
