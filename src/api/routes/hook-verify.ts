// A webhook's signature verification (docs/webhooks.md, "Verifying signatures"): set it (PUT),
// show it (GET), turn it off (DELETE). Answers name the secret that holds the signing key, never
// its value; only the tenant's keys and the admin key reach them.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { audit } from '../audit.js';
import { requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { VerifyBody, VerifyView, verifyView } from '../hook-verify-schemas.js';
import { FunctionParams } from '../schemas.js';
import type { ApiDeps } from '../deps.js';

type Params = { tenant: string; name: string };
const PATH = '/v1/tenants/:tenant/functions/:name/webhook/verify';

export function registerHookVerifyRoutes(v1: FastifyInstance, deps: ApiDeps): void {
  const verifier = deps.webhookVerifier;
  v1.put<{ Params: Params; Body: VerifyBody }>(
    PATH,
    {
      schema: {
        operationId: 'setWebhookVerify',
        tags: ['webhooks'],
        summary: "Require deliveries to carry the provider's valid signature, checked with a tenant secret (a signing key, no hosts)",
        params: FunctionParams,
        body: VerifyBody,
        response: { 200: VerifyView, 201: VerifyView, ...errorResponses('FUNCTION_NOT_FOUND', 'SECRET_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { created, view } = await verifier.set(tenant, name, request.body);
      audit(request, 'webhook.verify.set', tenant, `webhook/${name}`, { preset: view.preset, secret: view.secret, created });
      return reply.status(created ? 201 : 200).send(verifyView(view));
    },
  );
  v1.get<{ Params: Params }>(
    PATH,
    {
      schema: {
        operationId: 'getWebhookVerify',
        tags: ['webhooks'],
        summary: "Show the webhook's signature verification (404 NOT_FOUND when deliveries are not verified)",
        params: FunctionParams,
        response: { 200: VerifyView, ...errorResponses('FUNCTION_NOT_FOUND', 'NOT_FOUND') },
      },
    },
    async (request) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      return verifyView(await verifier.show(tenant, name));
    },
  );
  v1.delete<{ Params: Params }>(
    PATH,
    {
      schema: {
        operationId: 'deleteWebhookVerify',
        tags: ['webhooks'],
        summary: 'Stop verifying signatures: every delivery with the URL token is stored again',
        params: FunctionParams,
        response: { 204: Type.Null(), ...errorResponses('FUNCTION_NOT_FOUND', 'NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      await verifier.remove(tenant, name);
      audit(request, 'webhook.verify.delete', tenant, `webhook/${name}`);
      return reply.status(204).send();
    },
  );
}
