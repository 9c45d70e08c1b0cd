// Bearer-token authentication and tenant scoping. The admin key reaches everything; a tenant
// key reaches only routes under its own /v1/tenants/{tenant}.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError } from '../core/errors.js';
import type { KeyService, Principal } from '../services/keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /**
     * On a route under /v1/tenants/{tenant} that only the admin key may use: what it does ("delete
     * tenants"), so that another tenant's key is not told that a key of that tenant would do.
     */
    adminOnly?: string;
  }
}

/** What a scheme name looks like; anything else is not repeated back (it may be part of a key). */
const SCHEME_NAME = /^[A-Za-z][A-Za-z0-9-]{0,19}$/;

const WHERE_THE_KEY_IS = 'the admin key is the server\'s AIRLOCK_ADMIN_KEY, or else printed on its first start and stored in <data dir>/admin.key';

export function authenticate(keys: KeyService) {
  return async function onRequest(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const principal = await keys.resolve(bearerToken(request.headers.authorization));
    if (!principal) throw new AirlockError('UNAUTHORIZED', 'unknown or revoked API key');
    request.principal = principal;
    // Another tenant's route: refused here, before its body is parsed or validated (a probe gets
    // 403 whatever it sends, never a 400 or 404 that says something about that tenant). The
    // handlers check again.
    if (principal.kind === 'tenant') {
      const tenant = (request.params as { tenant?: unknown } | undefined)?.tenant;
      if (typeof tenant === 'string' && tenant !== principal.tenant) throw otherTenant(tenant, request.routeOptions.config.adminOnly);
    }
  };
}

/**
 * The key of an `Authorization: Bearer <key>` header. The scheme is case-insensitive (RFC 7235)
 * and spaces around the parts are tolerated; a missing header, another scheme or no key is
 * UNAUTHORIZED saying which.
 */
export function bearerToken(header: string | undefined): string {
  const value = header?.trim() ?? '';
  if (value === '') {
    throw new AirlockError('UNAUTHORIZED', `missing API key: send "Authorization: Bearer <key>" (${WHERE_THE_KEY_IS})`);
  }
  const scheme = /^\S+/.exec(value)![0];
  const key = value.slice(scheme.length).trim();
  if (scheme.toLowerCase() !== 'bearer') {
    const what = key === '' ? 'has no scheme (a bare key?)' : SCHEME_NAME.test(scheme) ? `has the scheme "${scheme}"` : 'does not start with Bearer';
    throw new AirlockError('UNAUTHORIZED', `the Authorization header ${what}; it must be "Bearer <key>"`);
  }
  if (key === '') {
    throw new AirlockError('UNAUTHORIZED', `the Authorization header has no key; it must be "Bearer <key>" (${WHERE_THE_KEY_IS})`);
  }
  return key;
}

/** Throws FORBIDDEN unless the request's principal may act on `tenant`. */
export function requireTenant(request: FastifyRequest, tenant: string): void {
  const p = request.principal;
  if (p?.kind === 'admin') return;
  if (p?.kind === 'tenant' && p.tenant === tenant) return;
  throw otherTenant(tenant, request.routeOptions.config.adminOnly);
}

/** The refusal of another tenant's route; `adminOnly` is the route's config.adminOnly. */
function otherTenant(tenant: string, adminOnly: string | undefined): AirlockError {
  const instead = adminOnly === undefined ? 'use a key of that tenant or the admin key' : `only the admin key can ${adminOnly}`;
  return new AirlockError('FORBIDDEN', `this key cannot access tenant "${tenant}"; ${instead}`);
}

/**
 * Throws FORBIDDEN unless the request was made with the admin key. `what` names the action
 * ("create keys"); `instead` says what a tenant key can do (it gets the key's own tenant).
 */
export function requireAdmin(request: FastifyRequest, what: string, instead: (tenant: string | undefined) => string): void {
  const p = request.principal;
  if (p?.kind === 'admin') return;
  throw new AirlockError('FORBIDDEN', `only the admin key can ${what}; ${instead(p?.kind === 'tenant' ? p.tenant : undefined)}`);
}
