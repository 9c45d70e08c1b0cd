// The jobs API's schemas (docs/jobs.md): submit and retry bodies, the job as listed and as read
// on its own (with its slice in progress), and the jobs routes' params and query. They validate
// requests and generate /openapi.json like the rest of schemas.ts.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { LogLineView, Name, StringEnum, VERSION_NAME_DOC } from './schemas.js';

/** An idempotency key as a job is submitted and looked up with: 1-256 characters, no control characters. */
function IdempotencyKey(description: string) {
  return Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description });
}

export const JobStatus = StringEnum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead'] as const);

export const JobBody = Type.Object(
  {
    input: Type.Optional(Type.Unknown({ description: 'any JSON value, passed to the function' })),
    idempotencyKey: Type.Optional(
      IdempotencyKey('submitting again with the same key returns the same job (1-256 characters, no control characters)'),
    ),
    maxRunMs: Type.Optional(Type.Integer({ minimum: 1, description: 'slice cap, ms (default 10 minutes, AIRLOCK_JOB_RUN_MS)' })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'failed attempts before the job is dead' })),
    deadlineMs: Type.Optional(Type.Integer({ minimum: 1, description: 'total time from submission, ms (AIRLOCK_JOB_DEADLINE_MS)' })),
  },
  { additionalProperties: false },
);
export type JobBody = Static<typeof JobBody>;

export const JobRetryBody = Type.Object(
  {
    version: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: `the function version to run (default: the function's latest version now): ${VERSION_NAME_DOC}` }),
    ),
    maxAttempts: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'failed attempts allowed from the retry on (default: the job\'s own)' }),
    ),
    deadlineMs: Type.Optional(Type.Integer({ minimum: 1, description: 'total time from the retry, ms (AIRLOCK_JOB_DEADLINE_MS)' })),
    maxRunMs: Type.Optional(
      Type.Integer({ minimum: 1, description: "slice cap of its runs from now on, ms (default: the job's own; at most AIRLOCK_JOB_MAX_RUN_MS)" }),
    ),
  },
  { additionalProperties: false },
);
export type JobRetryBody = Static<typeof JobRetryBody>;

/** POST /v1/tenants/{t}/jobs/retry: many jobs of one function at once. */
export const JobRetryManyBody = Type.Object(
  {
    function: Type.String({ minLength: 1, maxLength: 128, description: 'the function whose jobs run again' }),
    status: Type.Optional(StringEnum(['dead', 'failed', 'cancelled'] as const, { description: 'which of its jobs (default dead)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'most jobs retried by this call, newest first (default 100); call again while more is true' })),
    ...JobRetryBody.properties,
  },
  { additionalProperties: false },
);
export type JobRetryManyBody = Static<typeof JobRetryManyBody>;

export const JobRetryManyResult = Type.Object({
  retried: Type.Array(Type.String(), { description: 'the jobs queued again' }),
  skipped: Type.Array(
    Type.Object({ id: Type.String(), code: Type.String(), message: Type.String() }),
    { description: 'jobs that changed under the call (retried or cancelled meanwhile) or whose input no longer fits the function' },
  ),
  more: Type.Boolean({ description: 'more jobs of that function and status are left: call again' }),
});

export const JobView = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  function: Type.String(),
  status: JobStatus,
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() }, { description: 'failed and dead jobs: why' })),
  lastError: Type.Optional(
    Type.Object(
      { code: Type.String(), message: Type.String() },
      { description: 'any other job: the last failed attempt, being retried (queued, running) or recovered from (succeeded, cancelled)' },
    ),
  ),
  attempts: Type.Integer({ description: 'failed attempts so far (throws and crashes; slice caps do not count)' }),
  maxAttempts: Type.Integer(),
  runs: Type.Integer({ description: 'slices started (every retry and continuation)' }),
  checkpointAt: Type.Optional(Type.String({ format: 'date-time' })),
  readyAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'queued jobs: when it may run next (after a failed attempt\'s backoff, or a continuation\'s short delay); it starts at ' +
        'the first free slot from then. Absent on jobs that are not queued',
    }),
  ),
  idempotencyKey: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Optional(
    Type.String({ format: 'date-time', description: 'when its first slice started (startedAt - createdAt: how long it waited in the queue); absent until then' }),
  ),
  finishedAt: Type.Optional(
    Type.String({ format: 'date-time', description: 'when it ended (succeeded, failed, cancelled, dead); absent while queued or running, and again once retried' }),
  ),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** One job read on its own: also what it was submitted with. */
export const JobDetailView = Type.Composite([
  JobView,
  Type.Object({
    input: Type.Unknown({ description: 'the input the job was submitted with (a webhook delivery: the request)' }),
    version: Type.Optional(Type.String({ description: 'the function version every slice runs' })),
    maxRunMs: Type.Integer({ description: 'cap of one run slice, ms' }),
    deadlineAt: Type.String({ format: 'date-time', description: 'after this the job fails with JOB_DEADLINE' }),
    retriedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the job was last retried (its deadline counts from then)' })),
    source: Type.Object(
      {
        kind: StringEnum(['api', 'webhook', 'schedule'] as const, { description: 'submitted over the API, a webhook delivery, or a schedule occurrence' }),
        deliveryId: Type.Optional(Type.String({ description: 'webhook: the delivery (the input\'s deliveryId)' })),
        schedule: Type.Optional(Type.String({ description: 'schedule: its name' })),
        occurrenceAt: Type.Optional(Type.String({ format: 'date-time', description: 'schedule: the occurrence it fired for' })),
      },
      { description: 'what started the job (the function reads it as ctx.job.source)' },
    ),
    checkpoint: Type.Optional(
      Type.Unknown({ description: 'the state its last ctx.checkpoint.save() stored (what the next run resumes from), once one was saved' }),
    ),
    currentRun: Type.Optional(
      Type.Object(
        {
          executionId: Type.String({ description: 'the execution record it will be, once it ends' }),
          startedAt: Type.String({ format: 'date-time' }),
          logs: Type.Array(LogLineView, { description: 'its log lines so far' }),
        },
        { description: 'running jobs: the slice in progress, with its logs so far (only on the server that runs it)' },
      ),
    ),
  }),
]);

export const JobParams = Type.Object({ tenant: Name, id: Type.String({ maxLength: 64 }) });

export const JobQuery = Type.Object(
  {
    function: Type.Optional(Name),
    status: Type.Optional(JobStatus),
    before: Type.Optional(Type.String({ maxLength: 64, description: 'page: only jobs submitted before this id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    idempotencyKey: Type.Optional(
      IdempotencyKey('only the job submitted with this idempotency key (a webhook delivery: its deliveryId); a lookup that submits nothing'),
    ),
  },
  { additionalProperties: false },
);
export type JobQuery = Static<typeof JobQuery>;
