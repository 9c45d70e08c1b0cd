// Jobs: submit (202 {jobId}), read one, list (newest first), cancel, retry in place. Tenant-scoped like every
// route: a tenant key reaches only its own tenant's jobs.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ListPage } from '../list-page.js';
import { audit } from '../audit.js';
import { requireTenant } from '../auth.js';
import { errorResponses } from '../error-responses.js';
import { JobBody, JobDetailView, JobParams, JobQuery, JobRetryBody, JobRetryManyBody, JobRetryManyResult, JobView } from '../job-schemas.js';
import { FunctionParams, NullableString, TenantParams } from '../schemas.js';
import { jobDetailView, jobView } from '../views.js';
import type { ApiDeps } from '../deps.js';

export function registerJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const jobs = deps.jobs;
  app.post<{ Params: { tenant: string; name: string }; Body: JobBody | undefined }>(
    '/v1/tenants/:tenant/functions/:name/jobs',
    {
      bodyLimit: deps.config.maxBodyBytes,
      schema: {
        operationId: 'submitJob',
        tags: ['jobs'],
        summary: 'Submit a job: stored durably, run in the background in slices (202)',
        description:
          'Send an idempotencyKey with every submission: a submission retried after a client timeout then returns the ' +
          'same job (created false) instead of running the work twice. The key sent again with another input (compared ' +
          'as JSON values) or for another function is 409 IDEMPOTENCY_CONFLICT. A tenant that already holds ' +
          'AIRLOCK_QUEUE_TENANT_BACKLOG unfinished jobs is refused with 429 TENANT_BACKLOG_FULL and nothing is stored.',
        params: FunctionParams,
        body: JobBody,
        response: {
          202: Type.Object({ jobId: Type.String(), created: Type.Boolean() }),
          ...errorResponses('FUNCTION_NOT_FOUND', 'IDEMPOTENCY_CONFLICT', 'INPUT_TOO_LARGE', 'TENANT_BACKLOG_FULL'),
        },
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireTenant(request, tenant);
      const { job, created } = await jobs.submit(tenant, name, request.body ?? {});
      return reply.status(202).send({ jobId: job.id, created });
    },
  );

  app.get<{ Params: { tenant: string; id: string } }>(
    '/v1/tenants/:tenant/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        tags: ['jobs'],
        summary: 'Read one job, with what it was submitted with',
        params: JobParams,
        response: { 200: JobDetailView, ...errorResponses('JOB_NOT_FOUND') },
      },
    },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenant(request, tenant);
      const item = await jobs.get(tenant, id);
      return jobDetailView(item, jobs.currentRun(item));
    },
  );

  app.get<{ Params: { tenant: string }; Querystring: JobQuery }>(
    '/v1/tenants/:tenant/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: 'List jobs, newest first (?function=&status=&before=&limit=)',
        description:
          'A page holds at most limit jobs and stops once they reach AIRLOCK_LIST_PAGE_BYTES of JSON (4 MiB by default; at ' +
          'least one job per page). next is set when there may be more: pass it as before for the next page.',
        params: TenantParams,
        querystring: JobQuery,
        response: { 200: Type.Object({ jobs: Type.Array(JobView), next: NullableString() }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      requireTenant(request, tenant);
      const q = request.query;
      const limit = q.limit ?? 50;
      const page = new ListPage(deps.config.listPageBytes, limit, jobView);
      const list = await jobs.list(tenant, {
        limit,
        budget: page.budget,
        ...(q.function === undefined ? {} : { function: q.function }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.before === undefined ? {} : { before: q.before }),
        ...(q.idempotencyKey === undefined ? {} : { idempotencyKey: q.idempotencyKey }),
      });
      const { items, next } = page.answer(list);
      return { jobs: items, next };
    },
  );

  app.post<{ Params: { tenant: string; id: string } }>(
    '/v1/tenants/:tenant/jobs/:id/cancel',
    {
      schema: {
        operationId: 'cancelJob',
        tags: ['jobs'],
        summary: 'Cancel a queued or running job',
        params: JobParams,
        response: { 200: JobDetailView, ...errorResponses('JOB_NOT_FOUND', 'INPUT_TOO_LARGE') },
      },
    },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenant(request, tenant);
      const item = await jobs.cancel(tenant, id);
      // The status it has now: cancelled, or the end it had already reached (a cancel changes nothing then).
      audit(request, 'job.cancel', tenant, `job/${id}`, { function: item.function, status: item.status });
      // The whole job, as GET and retry show it (its input, checkpoint, source).
      return jobDetailView(item);
    },
  );

  app.post<{ Params: { tenant: string }; Body: JobRetryManyBody }>(
    '/v1/tenants/:tenant/jobs/retry',
    {
      schema: {
        operationId: 'retryJobs',
        tags: ['jobs'],
        summary: "Run many of a function's dead (or failed, or cancelled) jobs again, newest first, each as the retry of one",
        description:
          'After a fix is deployed, or once a third party is back: each job runs again in place from its last checkpoint, on ' +
          "the function's latest version (or version). At most limit per call; call again while more is true.",
        params: TenantParams,
        body: JobRetryManyBody,
        response: { 200: JobRetryManyResult, ...errorResponses('FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'VERSION_AMBIGUOUS', 'INPUT_TOO_LARGE') },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      requireTenant(request, tenant);
      const { status = 'dead', limit = 100, ...rest } = request.body;
      const result = await jobs.retryMany(tenant, { ...rest, status, limit });
      audit(request, 'jobs.retry', tenant, `function/${rest.function}`, { status, retried: result.retried.length, skipped: result.skipped.length });
      return result;
    },
  );

  app.post<{ Params: { tenant: string; id: string }; Body: JobRetryBody | undefined }>(
    '/v1/tenants/:tenant/jobs/:id/retry',
    {
      schema: {
        operationId: 'retryJob',
        tags: ['jobs'],
        summary: 'Run a failed, dead or cancelled job again in place, from its last checkpoint',
        params: JobParams,
        body: JobRetryBody,
        response: { 200: JobDetailView, ...errorResponses('JOB_NOT_FOUND', 'FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'VERSION_AMBIGUOUS', 'JOB_NOT_RETRYABLE', 'INPUT_TOO_LARGE') },
      },
    },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenant(request, tenant);
      const item = await jobs.retry(tenant, id, request.body ?? {});
      audit(request, 'job.retry', tenant, `job/${id}`, { function: item.function, ...(request.body?.version === undefined ? {} : { version: request.body.version }) });
      // The whole job, as GET shows it: what the retry set (version, deadlineAt, retriedAt) is there.
      return jobDetailView(item);
    },
  );
}
