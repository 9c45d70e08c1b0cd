// Request and response schemas (TypeBox = JSON Schema). The same objects validate requests and
// generate /openapi.json, so the documentation cannot drift from what the server accepts.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { MIN_LIMITS } from '../core/limits.js';
import { NAME_PATTERN, NAME_RULE } from '../services/names.js';
import { FIELD_DOCS } from './field-docs.js';

/** How a request names a version (services/version-names.ts). */
export const VERSION_NAME_DOC =
  'a version: its content hash as deploy answered it (64 hex characters), or a unique prefix of it of at least 8 characters';
import { VerifyView } from './hook-verify-schemas.js';

/**
 * A string enum as `{type, enum}` rather than TypeBox's union of literals (`anyOf`): Fastify's
 * response serializer runs a validator per `anyOf` field on every response, compiled lazily on
 * first use (a ~17 ms stall), so response schemas use these instead.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** Like StringEnum, also allowing null. */
function NullableStringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number] | null>({ type: ['string', 'null'], enum: [...values, null], ...options });
}

/** A string or null, without `anyOf` (see StringEnum). */
export function NullableString(options: { format?: string; description?: string } = {}) {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}

export const Name = Type.String({ pattern: NAME_PATTERN.source, description: NAME_RULE });

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      { code: Type.String(), message: Type.String() },
      { additionalProperties: true },
    ),
  },
  { $id: 'Error' },
);

export const Limits = Type.Object(
  {
    timeoutMs: Type.Optional(Type.Integer({ minimum: MIN_LIMITS.timeoutMs, description: 'wall-clock timeout, ms (default 2000)' })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: MIN_LIMITS.memoryMiB, description: 'V8 heap ceiling, MiB (default 128)' })),
    inputBytes: Type.Optional(Type.Integer({ minimum: MIN_LIMITS.inputBytes, description: 'max input JSON size, bytes' })),
    resultBytes: Type.Optional(Type.Integer({ minimum: MIN_LIMITS.resultBytes, description: 'max result JSON size, bytes' })),
    logBytes: Type.Optional(Type.Integer({ minimum: MIN_LIMITS.logBytes, description: 'max captured log bytes' })),
  },
  { additionalProperties: false },
);

export const Isolation = StringEnum(['tenant', 'function', 'execution'] as const, {
  description: 'who may share a warm sandbox: the tenant (default), this function only, or nobody',
});

const EgressRuleSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, description: 'exact host (api.example.com), IP literal, or one-label wildcard (*.example.com)' }),
    ports: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1, maxItems: 64, description: 'default: 443 for https, 80 for http' })),
    methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z]{1,16}$' }), { minItems: 1, maxItems: 64, description: 'default: all except CONNECT and TRACE' })),
    pathPrefixes: Type.Optional(Type.Array(Type.String({ pattern: '^/', maxLength: 1024 }), { minItems: 1, maxItems: 64, description: 'whole path segments; default: all paths' })),
  },
  { additionalProperties: false },
);

export const EgressLimitsSchema = Type.Object(
  {
    requests: Type.Optional(Type.Integer({ minimum: 1, description: 'requests per execution (default 50)' })),
    requestBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'largest request body, bytes (default 1 MiB)' })),
    responseBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'largest response body, bytes (default 1 MiB)' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 10, description: 'time per request including redirects, ms (default 10000)' })),
  },
  { additionalProperties: false },
);

export const EgressPolicySchema = Type.Object(
  {
    allow: Type.Array(EgressRuleSchema, { maxItems: 100, description: 'hosts the function may call with ctx.fetch' }),
    limits: Type.Optional(EgressLimitsSchema),
  },
  { additionalProperties: false, description: 'grants ctx.fetch (see docs/egress.md); absent: no network at all' },
);

export const DeployBody = Type.Object(
  {
    code: Type.String({ description: 'ES module source (JavaScript, or TypeScript with erasable syntax only)' }),
    runtime: Type.Optional(StringEnum(['javascript', 'typescript'] as const)),
    limits: Type.Optional(Limits),
    isolation: Type.Optional(Isolation),
    egress: Type.Optional(EgressPolicySchema),
    bundle: Type.Optional(
      Type.Boolean({
        description:
          "true: code is a bundler's output with its dependencies (e.g. esbuild --bundle), so it may be up to " +
          'AIRLOCK_MAX_BUNDLE_BYTES (default 5 MiB) instead of AIRLOCK_MAX_SOURCE_BYTES (default 256 KiB). Only the size ' +
          'limit changes: the code is checked and run the same way, and the same code gives the same version either way',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DeployBody = Static<typeof DeployBody>;

// ---- webhooks (docs/webhooks.md) ----
export const WebhookView = Type.Object({
  token: NullableString(),
  path: NullableString(),
  url: Type.Optional(
    NullableString({ description: 'the full URL to give the third party: AIRLOCK_PUBLIC_URL and path (only when the operator set it; null when path is)' }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  verify: Type.Optional(VerifyView),
});

/** A version's limits as stored (every one resolved: the deploy's, else the server's defaults then). */
export const LimitsView = Type.Object({
  timeoutMs: Type.Integer(),
  memoryMiB: Type.Integer(),
  inputBytes: Type.Integer(),
  resultBytes: Type.Integer(),
  logBytes: Type.Integer(),
});

/** A version's egress policy as stored; absent when it has no network. */
export const EgressView = Type.Object({
  allow: Type.Array(EgressRuleSchema),
  limits: Type.Optional(Type.Object({ requests: Type.Integer(), requestBytes: Type.Integer(), responseBytes: Type.Integer(), timeoutMs: Type.Integer() })),
});

export const FunctionView = Type.Object({
  tenant: Type.String(),
  name: Type.String(),
  version: Type.String({ description: 'content hash of this version' }),
  runtime: Type.String(),
  limits: LimitsView,
  isolation: Type.String(),
  egress: Type.Optional(EgressView),
  createdAt: Type.String({ format: 'date-time' }),
  webhook: Type.Optional(WebhookView),
});

/** The answer to a deploy: the function as read, and what the deploy did. */
export const DeployedFunctionView = Type.Composite([
  FunctionView,
  Type.Object({
    created: Type.Boolean({ description: 'false when an identical version already existed' }),
    previousVersion: Type.Union([Type.String(), Type.Null()], {
      description:
        'the version that was the latest before this one (null on the first deploy). With created false, ' +
        'a previousVersion other than version means an earlier version was made the latest again (a rollback)',
    }),
  }),
]);

export const FunctionSummaryView = Type.Object({
  name: Type.String(),
  latestVersion: Type.String(),
  runtime: Type.String(),
  versions: Type.Integer(),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const InvokeBody = Type.Object(
  {
    input: Type.Optional(Type.Unknown({ description: 'any JSON value, passed to the function' })),
    version: Type.Optional(Type.String({ description: `run this version instead of the latest: ${VERSION_NAME_DOC}` })),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: MIN_LIMITS.timeoutMs, description: "this call's wall-clock limit, ms: the caller's own deadline, at most the function's limits.timeoutMs (its default)" }),
    ),
  },
  { additionalProperties: false },
);
export type InvokeBody = Static<typeof InvokeBody>;

export const ExecutionStatus = StringEnum(['succeeded', 'failed', 'timeout', 'oom', 'killed', 'rejected'] as const);

/** An invoke's answer: never rejected (a call admission refuses is a 429 error; its record is rejected). */
const InvokeStatus = StringEnum(['succeeded', 'failed', 'timeout', 'oom', 'killed'] as const, {
  description: 'a call admission refuses is not answered with a status: it is a 429 TOO_MANY_REQUESTS error',
});

export const LogLineView = Type.Object({
  ts: Type.Number({ description: FIELD_DOCS.logTs }),
  level: Type.String({ description: FIELD_DOCS.logLevel }),
  msg: Type.String({ description: FIELD_DOCS.logMsg }),
});

const ErrorView = Type.Object({
  type: Type.String(),
  message: Type.String(),
  stack: Type.Optional(Type.String()),
});

export const InvokeResult = Type.Object({
  executionId: Type.String(),
  status: InvokeStatus,
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorView),
  logs: Type.Array(LogLineView),
  durationMs: Type.Number({ description: FIELD_DOCS.durationMs }),
  start: NullableStringEnum(['warm', 'pool', 'spawn'] as const, { description: FIELD_DOCS.start }),
  version: Type.String({ description: 'the function version that ran (its content hash): the latest one at the call, or the one named' }),
});

export const LayerView = StringEnum(['namespaces', 'seccomp', 'cgroups', 'unprivileged-uid'] as const);

const EgressRecordView = Type.Object({
  method: Type.String(),
  host: Type.String(),
  port: Type.Integer(),
  path: Type.String(),
  status: Type.Unsafe<number | null>({ type: ['integer', 'null'] }),
  bytesOut: Type.Integer(),
  bytesIn: Type.Integer(),
  durationMs: Type.Number(),
  error: Type.Optional(Type.String()),
});

export const ExecutionView = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  function: Type.String(),
  version: Type.String(),
  status: ExecutionStatus,
  start: NullableStringEnum(['warm', 'pool', 'spawn'] as const, { description: FIELD_DOCS.start }),
  isolation: Type.String(),
  layers: Type.Array(LayerView, { description: 'isolation layers in force for the sandbox that ran it' }),
  queuedAt: Type.String({ format: 'date-time', description: FIELD_DOCS.queuedAt }),
  startedAt: NullableString({ format: 'date-time', description: FIELD_DOCS.startedAt }),
  finishedAt: Type.String({ format: 'date-time', description: FIELD_DOCS.finishedAt }),
  durationMs: Type.Number({ description: FIELD_DOCS.durationMs }),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorView),
  logs: Type.Array(LogLineView),
  egress: Type.Optional(Type.Array(EgressRecordView, { description: 'requests made through ctx.fetch' })),
  jobId: Type.Optional(Type.String({ description: 'the job this execution ran a slice of' })),
});

export const ExecutionQuery = Type.Object(
  {
    function: Type.Optional(Name),
    status: Type.Optional(ExecutionStatus),
    job: Type.Optional(Type.String({ maxLength: 100, description: 'only the runs (slices) of this job' })),
    before: Type.Optional(Type.String({ description: 'page: only executions older than this id' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'only executions queued at or after this time (RFC 3339, e.g. 2026-12-07T08:00:00Z)' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'only executions queued before this time (RFC 3339)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type ExecutionQuery = Static<typeof ExecutionQuery>;

/** GET /v1/executions (admin): every tenant's executions, or one tenant's. */
export const AllExecutionsQuery = Type.Object(
  {
    status: Type.Optional(ExecutionStatus),
    tenant: Type.Optional(Name),
    function: Type.Optional(Name),
    before: Type.Optional(Type.String({ maxLength: 64, description: 'page: only executions older than this id (the previous page\'s next)' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'only executions queued at or after this time (RFC 3339, e.g. 2026-12-07T08:00:00Z)' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'only executions queued before this time (RFC 3339)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type AllExecutionsQuery = Static<typeof AllExecutionsQuery>;

export const KeyView = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  name: Type.Union([Type.String(), Type.Null()], { description: 'what the key is for, as named at creation; null when unnamed' }),
  prefix: Type.Union([Type.String(), Type.Null()], {
    description: 'the key\'s first characters (`ak_` and 8 more; not enough to use it), to match a found key to its id; null for keys made before prefixes were kept',
  }),
  key: Type.Optional(Type.String({ description: 'the secret; shown only once, at creation' })),
});

/** POST /keys: everything optional (no body at all is fine). */
export const KeyBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'what the key is for, e.g. "ci" or "backend" (1-64 characters, no control characters)' }),
    ),
  },
  { additionalProperties: false },
);

export const TenantParams = Type.Object({ tenant: Name });
export const FunctionParams = Type.Object({ tenant: Name, name: Name });
export const ExecutionParams = Type.Object({ tenant: Name, id: Type.String({ maxLength: 64 }) });
export const KeyParams = Type.Object({ tenant: Name, id: Type.String({ maxLength: 64 }) });
export const VersionQuery = Type.Object({ version: Type.Optional(Type.String({ maxLength: 64, description: VERSION_NAME_DOC })) }, { additionalProperties: false });

export const SecretParams = Type.Object({ tenant: Name, name: Name });

/** Body of PUT .../secrets/{name}; sizes come from the operator's secrets configuration. */
export function SecretPutBody(limits: { maxValueBytes: number; maxHosts: number }) {
  return Type.Object(
    {
      value: Type.String({
        minLength: 1,
        maxLength: limits.maxValueBytes,
        description: `the secret (UTF-8, at most ${limits.maxValueBytes} bytes); stored encrypted, never returned`,
      }),
      hosts: Type.Array(Type.String({ maxLength: 253 }), {
        maxItems: limits.maxHosts,
        description:
          'hosts the value may be sent to: "api.example.com" or "*.example.com"; none ([]) for a webhook signing key, ' +
          'which is sent nowhere and can only verify deliveries (docs/webhooks.md)',
      }),
    },
    { additionalProperties: false },
  );
}

export const SecretView = Type.Object({
  name: Type.String(),
  hosts: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
