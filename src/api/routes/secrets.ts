// Tenant secrets: set (create or replace), list, describe and delete. Answers carry metadata
// only; no route ever returns a value. Errors in this scope never echo request content.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { isAirlockError } from '../../core/errors.js';
import { isStorageFull } from '../../store/storage-errors.js';
import type { SecretMeta } from '../../store/port.js';
import { audit } from '../audit.js';
import { requireTenant } from '../auth.js';
import { errorHandler } from '../errors.js';
import { errorResponses } from '../error-responses.js';
import { SecretParams, SecretPutBody, SecretView, TenantParams } from '../schemas.js';
import type { ApiDeps } from '../deps.js';

const iso = (ms: number): string => new Date(ms).toISOString();

function view(m: SecretMeta) {
  return { name: m.name, hosts: m.hosts, createdAt: iso(m.createdAt), updatedAt: iso(m.updatedAt) };
}

/** Fastify's refusals the shared handler words itself, without quoting the body. */
const SHARED_REFUSALS = new Set(['FST_ERR_CTP_BODY_TOO_LARGE', 'FST_ERR_CTP_INVALID_MEDIA_TYPE']);

/**
 * The shared error handler, except that errors not raised by Airlock itself (body parsing and
 * the like) answer with a fixed message: a parser's message could quote the body, i.e. the value.
 */
function redactingErrorHandler(deps: ApiDeps) {
  const errors = deps.metrics.apiErrors;
  const shared = errorHandler(deps.logger, deps.config, errors);
  return function handle(err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    if (isAirlockError(err) || err.validation || SHARED_REFUSALS.has(err.code) || isStorageFull(err)) {
      return shared(err, request, reply);
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      errors.count(status, 'BAD_REQUEST');
      void reply.status(status).send({
        error: { code: 'BAD_REQUEST', message: 'invalid request: send JSON {"value": "...", "hosts": ["api.example.com"]}' },
      });
      return undefined;
    }
    deps.logger.error({ code: err.code, url: request.url }, 'unhandled error in a secrets route');
    errors.count(500, 'INTERNAL');
    void reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the server log' } });
    return undefined;
  };
}

export function registerSecretRoutes(app: FastifyInstance, deps: ApiDeps): void {
  void app.register(async (scope) => {
    scope.setErrorHandler(redactingErrorHandler(deps));

    scope.put<{ Params: { tenant: string; name: string }; Body: { value: string; hosts: string[] } }>(
      '/v1/tenants/:tenant/secrets/:name',
      {
        schema: {
          operationId: 'putSecret',
          tags: ['secrets'],
          summary: 'Create or replace a secret (the value is stored encrypted and never returned)',
          params: SecretParams,
          body: SecretPutBody(deps.config.secrets),
          response: { 200: SecretView, 201: SecretView, ...errorResponses('INPUT_TOO_LARGE') },
        },
      },
      async (request, reply) => {
        const { tenant, name } = request.params;
        requireTenant(request, tenant);
        const { created, meta } = await deps.secrets.put(tenant, name, request.body.value, request.body.hosts);
        audit(request, 'secret.set', tenant, `secret/${name}`, { created, hosts: meta.hosts.join(',') });
        return reply.status(created ? 201 : 200).send(view(meta));
      },
    );

    scope.get<{ Params: { tenant: string } }>(
      '/v1/tenants/:tenant/secrets',
      {
        schema: {
          operationId: 'listSecrets',
          tags: ['secrets'],
          summary: "List a tenant's secrets (names and hosts, never values)",
          params: TenantParams,
          response: { 200: Type.Object({ secrets: Type.Array(SecretView) }), ...errorResponses() },
        },
      },
      async (request) => {
        requireTenant(request, request.params.tenant);
        return { secrets: (await deps.secrets.list(request.params.tenant)).map(view) };
      },
    );

    scope.get<{ Params: { tenant: string; name: string } }>(
      '/v1/tenants/:tenant/secrets/:name',
      {
        schema: {
          operationId: 'getSecret',
          tags: ['secrets'],
          summary: "A secret's metadata (never its value)",
          params: SecretParams,
          response: { 200: SecretView, ...errorResponses('SECRET_NOT_FOUND') },
        },
      },
      async (request) => {
        requireTenant(request, request.params.tenant);
        return view(await deps.secrets.describe(request.params.tenant, request.params.name));
      },
    );

    scope.delete<{ Params: { tenant: string; name: string } }>(
      '/v1/tenants/:tenant/secrets/:name',
      {
        schema: {
          operationId: 'deleteSecret',
          tags: ['secrets'],
          summary: 'Delete a secret',
          params: SecretParams,
          response: { 204: Type.Null(), ...errorResponses('SECRET_NOT_FOUND', 'INPUT_TOO_LARGE') },
        },
      },
      async (request, reply) => {
        requireTenant(request, request.params.tenant);
        await deps.secrets.delete(request.params.tenant, request.params.name);
        audit(request, 'secret.delete', request.params.tenant, `secret/${request.params.name}`);
        return reply.status(204).send();
      },
    );
  });
}
