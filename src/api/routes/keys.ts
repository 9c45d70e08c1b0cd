// Tenant API keys: created and revoked by the admin; a created key is shown exactly once.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { requireAdmin, requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { KeyBody, KeyParams, KeyView, TenantParams } from '../schemas.js';
import type { ApiDeps } from '../deps.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function registerKeyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Params: { tenant: string }; Body: { name?: string } | undefined }>(
    '/v1/tenants/:tenant/keys',
    {
      schema: {
        operationId: 'createKey',
        tags: ['keys'],
        summary: 'Create a tenant API key (admin only), optionally named; the key is returned once',
        params: TenantParams,
        body: KeyBody,
        response: { 201: KeyView, ...errorResponses('INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const created = await deps.keys.create(request.params.tenant, request.body?.name);
      return reply
        .status(201)
        .send({ id: created.id, tenant: created.tenant, key: created.key, createdAt: iso(created.createdAt), name: created.name ?? null });
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/keys',
    {
      schema: {
        operationId: 'listKeys',
        tags: ['keys'],
        summary: "List a tenant's keys (ids only)",
        params: TenantParams,
        response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      requireTenant(request, tenant);
      const keys = await deps.keys.list(tenant);
      return { keys: keys.map((k) => ({ id: k.id, tenant, createdAt: iso(k.createdAt), name: k.name ?? null })) };
    },
  );

  app.delete<{ Params: { tenant: string; id: string } }>(
    '/v1/tenants/:tenant/keys/:id',
    {
      schema: {
        operationId: 'revokeKey',
        tags: ['keys'],
        summary: 'Revoke a tenant key (admin only)',
        params: KeyParams,
        response: { 204: Type.Null(), ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      await deps.keys.revoke(request.params.tenant, request.params.id);
      return reply.status(204).send();
    },
  );
}
