// Bearer-token authentication and tenant scoping. The admin key reaches everything; a tenant
// key reaches only routes under its own /v1/tenants/{tenant}.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError } from '../core/errors.js';
import type { KeyService, Principal } from '../services/keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function authenticate(keys: KeyService) {
  return async function onRequest(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) {
      throw new AirlockError(
        'UNAUTHORIZED',
        'missing API key: send "Authorization: Bearer <key>" (the admin key is printed on first start and stored in <data dir>/admin.key)',
      );
    }
    const principal = await keys.resolve(header.slice(7).trim());
    if (!principal) throw new AirlockError('UNAUTHORIZED', 'unknown or revoked API key');
    request.principal = principal;
  };
}

/** Throws FORBIDDEN unless the request's principal may act on `tenant`. */
export function requireTenant(request: FastifyRequest, tenant: string): void {
  const p = request.principal;
  if (p?.kind === 'admin') return;
  if (p?.kind === 'tenant' && p.tenant === tenant) return;
  throw new AirlockError('FORBIDDEN', `this key cannot access tenant "${tenant}"; use a key of that tenant or the admin key`);
}

export function requireAdmin(request: FastifyRequest): void {
  if (request.principal?.kind !== 'admin') {
    throw new AirlockError('FORBIDDEN', 'only the admin key can do this');
  }
}
