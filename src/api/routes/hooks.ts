// Webhook routes. `/hooks/{tenant}/{function}/{token}` takes deliveries from third parties: no
// API key, the token in the path authenticates, checked before the body is read (a caller without
// it gets the 404 without the server holding its body); every body type is accepted as bytes (up to
// AIRLOCK_WEBHOOK_BODY_BYTES) and stored as a job before the 202 (after its signature checked out,
// when the webhook verifies one). Under /v1 (API key): show the function's webhook and rotate its
// token; its signature verification has routes of its own (hook-verify.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { FunctionVersion } from '../../core/types.js';
import { audit } from '../audit.js';
import { requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { FunctionParams, WebhookView } from '../schemas.js';
import { webhookView } from '../views.js';
import type { ApiDeps } from '../deps.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const HookParams = Type.Object({
  tenant: Type.String({ maxLength: 63 }),
  function: Type.String({ maxLength: 63 }),
  token: Type.String({ maxLength: 256 }),
});
const HookQuery = Type.Object(
  { wait: Type.Optional(Type.Integer({ minimum: 0, description: 'wait up to this many ms for the result (capped by AIRLOCK_WEBHOOK_MAX_WAIT_MS)' })) },
  { additionalProperties: true },
);
const Accepted = Type.Object(
  {
    deliveryId: Type.String(),
    jobId: Type.String(),
    status: Type.String({ description: 'the job status when answered: queued, running, or final' }),
  },
  { description: 'stored as a job: without ?wait, or the job had not succeeded when the wait ended (?wait adds the id headers)' },
);

/** Headers of an answer to a ?wait delivery. */
const WAIT_HEADERS = {
  'x-airlock-delivery-id': { type: 'string', description: 'the delivery id (with ?wait only)' },
  'x-airlock-job-id': { type: 'string', description: 'the job id (with ?wait only)' },
};

/** The answer to a ?wait delivery whose job succeeded in time: its result as the body. */
const Handshake = {
  description:
    'with ?wait, the job succeeded within the wait: its result is the body, a string as text/plain, ' +
    'any other value as JSON (docs/webhooks.md, "Handshakes")',
  headers: WAIT_HEADERS,
  content: { 'application/json': { schema: {} }, 'text/plain': { schema: { type: 'string' } } },
};

type HookRequest = FastifyRequest<{ Params: { tenant: string; function: string; token: string }; Querystring: { wait?: number } }>;

/** Aborts when the caller goes away before its answer. */
function callerGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}

/** The delivery endpoint (no API key). */
export async function registerHookRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { hooks } = deps;
  await app.register(async (scope) => {
    // Deliveries are kept as bytes: the service decides how to read them (JSON, text, base64).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.config.webhooks.bodyBytes }, (_req, body, done) => {
      done(null, body);
    });
    // Every answer counts, refusals made before the handler (a body over the limit) included.
    const counter = deps.workMetrics;
    // The token is checked as soon as the headers are in, before the body is read: without it, a
    // caller who guesses URLs could make the server hold a body of up to the limit per connection.
    const admitted = new WeakMap<FastifyRequest, FunctionVersion>();
    const admit = async (request: HookRequest) => {
      const { tenant, function: fn, token } = request.params;
      admitted.set(request, await hooks.admit(tenant, fn, token));
    };
    if (counter !== undefined) scope.addHook('onResponse', async (_request, reply) => counter.recordDelivery(reply.statusCode < 300 ? 'stored' : 'refused'));
    const receive = async (request: HookRequest, reply: FastifyReply) => {
      const { tenant } = request.params;
      const q = request.url.indexOf('?');
      const body = request.body;
      const delivered = await hooks.receive(admitted.get(request)!, {
        method: request.method,
        headers: request.headers,
        rawQuery: q < 0 ? '' : request.url.slice(q + 1),
        body: Buffer.isBuffer(body) ? body : Buffer.alloc(0),
      });
      const wait = request.query.wait;
      if (wait === undefined || wait === 0) return reply.status(202).send({ ...delivered, status: 'queued' });
      const job = await hooks.wait(tenant, delivered.jobId, wait, callerGone(reply));
      void reply.header('x-airlock-delivery-id', delivered.deliveryId).header('x-airlock-job-id', delivered.jobId);
      if (job?.status !== 'succeeded') return reply.status(202).send({ ...delivered, status: job?.status ?? 'queued' });
      // Handshakes: a string result is the body as text (e.g. an echoed challenge), anything else JSON.
      const result = job.result ?? null;
      if (typeof result === 'string') return reply.status(200).type('text/plain; charset=utf-8').send(result);
      return reply.status(200).type('application/json; charset=utf-8').send(JSON.stringify(result));
    };
    // One route per method, so that each has its own operationId (receiveWebhookPost, …).
    for (const method of METHODS) {
      scope.route({
        method,
        url: '/hooks/:tenant/:function/:token',
        exposeHeadRoute: false,
        bodyLimit: deps.config.webhooks.bodyBytes,
        config: { bodyHolds: 'delivery' },
        onRequest: admit,
        schema: {
          operationId: `receiveWebhook${method[0]}${method.slice(1).toLowerCase()}`,
          tags: ['webhooks'],
          summary: 'Receive a webhook delivery (no API key: the token authenticates); stored as a job before the answer',
          security: [],
          params: HookParams,
          querystring: HookQuery,
          response: {
            200: Handshake,
            202: Accepted,
            ...errorResponses('WEBHOOK_SIGNATURE_INVALID', 'NOT_FOUND', 'INPUT_TOO_LARGE', 'HEADERS_TOO_LARGE', 'TENANT_BACKLOG_FULL', 'WEBHOOK_SECRET_UNAVAILABLE'),
          },
        },
        handler: receive,
      });
    }
  });
}

/** Under /v1 (registered inside the authenticated scope). */
export function registerWebhookRoutes(v1: FastifyInstance, deps: ApiDeps): void {
  v1.get<{ Params: { tenant: string; name: string } }>(
    '/v1/tenants/:tenant/functions/:name/webhook',
    {
      schema: {
        operationId: 'getWebhook',
        tags: ['webhooks'],
        summary: "Show the function's webhook token and path, and its signature verification if any",
        params: FunctionParams,
        response: { 200: WebhookView, ...errorResponses('FUNCTION_NOT_FOUND', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const hook = await deps.webhookTokens.show(tenant, name);
      return webhookView(hook, await deps.webhookVerifier.find(tenant, name), deps.config.publicUrl);
    },
  );
  v1.delete<{ Params: { tenant: string; name: string } }>(
    '/v1/tenants/:tenant/functions/:name/webhook',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags: ['webhooks'],
        summary: "Turn the function's webhook off: its token stops working at once (204)",
        description:
          'Deliveries to its URL are then refused with the same 404 as a wrong token, and redeploys issue no new token. ' +
          'POST .../webhook/rotate turns it on again with a new token. Its signature verification, if any, is kept.',
        params: FunctionParams,
        response: { 204: Type.Null(), ...errorResponses('FUNCTION_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { removed } = await deps.webhookTokens.remove(tenant, name);
      if (removed) audit(request, 'webhook.delete', tenant, `webhook/${name}`);
      return reply.status(204).send();
    },
  );
  v1.post<{ Params: { tenant: string; name: string } }>(
    '/v1/tenants/:tenant/functions/:name/webhook/rotate',
    {
      schema: {
        operationId: 'rotateWebhookToken',
        tags: ['webhooks'],
        summary: 'Issue a new webhook token (turns a webhook that is off back on); the old one stops working at once',
        params: FunctionParams,
        response: { 200: WebhookView, ...errorResponses('FUNCTION_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const rotated = await deps.webhookTokens.rotate(tenant, name);
      audit(request, 'webhook.rotate', tenant, `webhook/${name}`);
      // The signature verification stays as it was: it belongs to the function, not the token.
      return webhookView(rotated, await deps.webhookVerifier.find(tenant, name), deps.config.publicUrl);
    },
  );
}
