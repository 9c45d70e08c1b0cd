// Schemas of the tenant routes (GET /v1/tenants, DELETE /v1/tenants/{tenant}), for validation,
// serialization and /openapi.json.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Name, NullableString } from './schemas.js';

export const TenantsQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ maxLength: 64, description: "page: only tenants whose name sorts after this one (the previous page's next)" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type TenantsQuery = Static<typeof TenantsQuery>;

const count = (description: string) => Type.Integer({ minimum: 0, description });

export const TenantView = Type.Object({
  tenant: Name,
  functions: count('functions deployed'),
  keys: count('tenant API keys'),
  secrets: count('secrets stored'),
  schedules: count('schedules defined'),
  jobs: Type.Boolean({ description: 'the tenant has queue items (jobs, webhook deliveries) in any status; not counted, there can be millions' }),
  executions: Type.Boolean({ description: 'the tenant has execution records; not counted, there can be millions' }),
  backlog: count('unfinished queue items (jobs, webhook deliveries, scheduled runs queued, waiting to retry or running): what AIRLOCK_QUEUE_TENANT_BACKLOG caps'),
});

export const TenantList = Type.Object({ tenants: Type.Array(TenantView), next: NullableString() });

export const TenantDeletedView = Type.Object({
  functions: count('functions'),
  versions: count('function versions'),
  webhooks: count('webhook tokens'),
  webhookVerifications: count('webhook signature-verification settings'),
  keys: count('tenant API keys'),
  secrets: count('secrets'),
  schedules: count('schedules'),
  scheduleRuns: count('schedule occurrences (run history)'),
  jobs: count('queue items: jobs and webhook deliveries in any status, with their checkpoints'),
  executions: count('execution records'),
  queueState: count("the tenant's fairness state in the queue (0 or 1)"),
});

export const TenantDeletionView = Type.Object({
  tenant: Name,
  deleted: TenantDeletedView,
  stoppedJobs: count('job slices this server was running for the tenant and stopped (slices on other servers stop at their next heartbeat)'),
  retiredSandboxes: count("sandboxes of the tenant this server destroyed (idle and busy; other servers' retire when their idle time runs out)"),
  complete: Type.Boolean({ description: 'false: the time budget of one call ran out with rows left; call DELETE again to go on' }),
});
