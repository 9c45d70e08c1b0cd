// Audit lines: one info line per change made through the API (keys, deploys, rollbacks, function
// deletes, secrets, schedules, webhook token rotation and verification, job cancels and retries, tenant deletions), saying what changed, in
// which tenant, and which key did it. They carry names and ids only: never a key, a secret value,
// code or an input.
import type { FastifyRequest } from 'fastify';

export type AuditEvent =
  | 'key.create'
  | 'key.revoke'
  | 'key.lookup'
  | 'function.deploy'
  | 'function.rollback'
  | 'function.delete'
  | 'secret.set'
  | 'secret.delete'
  | 'schedule.set'
  | 'schedule.delete'
  | 'webhook.rotate'
  | 'webhook.delete'
  | 'webhook.verify.set'
  | 'webhook.verify.delete'
  | 'job.cancel'
  | 'job.retry'
  | 'jobs.retry'
  | 'tenant.delete';

/** The id of the key that made the request: a tenant key's id, or "admin" for the admin key. */
export function keyIdOf(request: FastifyRequest): string | undefined {
  return request.principal?.keyId;
}

/**
 * Logs `event` on `object` ("function/echo", "secret/stripe", "key/key_…") of `tenant` (null for
 * actions outside any tenant), with the key that made the request and where it came from.
 * `extra` holds further names or ids (a version, a key name); never a secret.
 */
export function audit(
  request: FastifyRequest,
  event: AuditEvent,
  tenant: string | null,
  object: string,
  extra: Record<string, string | number | boolean | null> = {},
): void {
  request.log.info(
    { audit: event, tenant, object, ...extra, keyId: keyIdOf(request) ?? null, remote: request.ip },
    `audit ${event} ${tenant === null ? '' : `${tenant} `}${object}`,
  );
}
