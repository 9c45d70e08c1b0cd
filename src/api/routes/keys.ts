// Tenant API keys: created and revoked by the admin; a created key is shown exactly once, and
// listings show its prefix so a found key can be matched to its id. The admin can also look a
// whole key up (a leaked one) to learn its id and tenant.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AirlockError } from '../../core/errors.js';
import type { ApiKeyRecord } from '../../store/port.js';
import { audit } from '../audit.js';
import { requireAdmin, requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { KeyLookupBody, KeyLookupView } from '../key-schemas.js';
import { KeyBody, KeyParams, KeyView, TenantParams } from '../schemas.js';
import type { ApiDeps } from '../deps.js';

/** The admin-only actions, as refusals name them. */
const CREATE = 'create keys';
const REVOKE = 'revoke keys';

const iso = (ms: number): string => new Date(ms).toISOString();

function keyView(k: Pick<ApiKeyRecord, 'id' | 'createdAt' | 'name' | 'prefix'>, tenant: string) {
  return { id: k.id, tenant, createdAt: iso(k.createdAt), name: k.name ?? null, prefix: k.prefix ?? null };
}

export function registerKeyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Params: { tenant: string }; Body: { name?: string } | undefined }>(
    '/v1/tenants/:tenant/keys',
    {
      config: { adminOnly: CREATE },
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
      requireAdmin(request, CREATE, () => 'ask the operator for a new key of this tenant (airlock keys create <tenant>)');
      const created = await deps.keys.create(request.params.tenant, request.body?.name);
      audit(request, 'key.create', created.tenant, `key/${created.id}`, { name: created.name ?? null, prefix: created.prefix });
      return reply.status(201).send({ ...keyView(created, created.tenant), key: created.key });
    },
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/keys',
    {
      schema: {
        operationId: 'listKeys',
        tags: ['keys'],
        summary: "List a tenant's keys (ids, names and prefixes; never the keys)",
        params: TenantParams,
        response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      requireTenant(request, tenant);
      const keys = await deps.keys.list(tenant);
      return { keys: keys.map((k) => keyView(k, tenant)) };
    },
  );

  app.delete<{ Params: { tenant: string; id: string } }>(
    '/v1/tenants/:tenant/keys/:id',
    {
      config: { adminOnly: REVOKE },
      schema: {
        operationId: 'revokeKey',
        tags: ['keys'],
        summary: 'Revoke a tenant key (admin only); it stops working at once and is deleted',
        params: KeyParams,
        response: { 204: Type.Null(), ...errorResponses('NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request, reply) => {
      requireAdmin(request, REVOKE, () => 'ask the operator to revoke it (airlock keys revoke <tenant> <key id>)');
      await deps.keys.revoke(request.params.tenant, request.params.id);
      audit(request, 'key.revoke', request.params.tenant, `key/${request.params.id}`);
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { key: string } }>(
    '/v1/keys/lookup',
    {
      schema: {
        operationId: 'lookupKey',
        tags: ['keys'],
        summary: 'Which key is this? (admin only): the id, tenant, name and prefix of a whole key, e.g. one found in a leak',
        body: KeyLookupBody,
        response: { 200: KeyLookupView, ...errorResponses('NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request) => {
      requireAdmin(request, 'look keys up', () => 'ask the operator to look the key up (airlock keys find)');
      const found = await deps.keys.lookup(request.body.key.trim());
      if (found === undefined) {
        audit(request, 'key.lookup', null, 'key/unknown');
        throw new AirlockError(
          'NOT_FOUND',
          'no key of this server matches: it was never issued here, or it was revoked (revoked keys are deleted and no longer work). ' +
            'Check that the whole key was sent (tenant keys start with ak_ and are 46 characters long)',
        );
      }
      if (found.kind === 'admin') {
        audit(request, 'key.lookup', null, found.previous ? 'key/admin-previous' : 'key/admin');
        return { kind: 'admin', previous: found.previous, id: null, tenant: null, name: null, prefix: null, createdAt: null };
      }
      const { record } = found;
      audit(request, 'key.lookup', record.tenant, `key/${record.id}`);
      return { kind: 'tenant', ...keyView(record, record.tenant!) };
    },
  );
}
