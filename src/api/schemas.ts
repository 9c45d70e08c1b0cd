// Request and response schemas (TypeBox = JSON Schema). The same objects validate requests and
// generate /openapi.json, so the documentation cannot drift from what the server accepts.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';

export const Name = Type.String({ pattern: NAME_PATTERN, description: 'lowercase letters, digits, - and _; at most 63' });

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
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'wall-clock timeout, ms (default 2000)' })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 1, description: 'V8 heap ceiling, MiB (default 128)' })),
    inputBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'max input JSON size, bytes' })),
    resultBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'max result JSON size, bytes' })),
    logBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'max captured log bytes' })),
  },
  { additionalProperties: false },
);

export const Isolation = Type.Union(
  [Type.Literal('tenant'), Type.Literal('function'), Type.Literal('execution')],
  { description: 'who may share a warm sandbox: the tenant (default), this function only, or nobody' },
);

export const DeployBody = Type.Object(
  {
    code: Type.String({ description: 'ES module source (JavaScript, or TypeScript with erasable syntax only)' }),
    runtime: Type.Optional(Type.Union([Type.Literal('javascript'), Type.Literal('typescript')])),
    limits: Type.Optional(Limits),
    isolation: Type.Optional(Isolation),
  },
  { additionalProperties: false },
);
export type DeployBody = Static<typeof DeployBody>;

export const FunctionView = Type.Object({
  tenant: Type.String(),
  name: Type.String(),
  version: Type.String({ description: 'content hash of this version' }),
  runtime: Type.String(),
  limits: Type.Object({
    timeoutMs: Type.Integer(),
    memoryMiB: Type.Integer(),
    inputBytes: Type.Integer(),
    resultBytes: Type.Integer(),
    logBytes: Type.Integer(),
  }),
  isolation: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  created: Type.Optional(Type.Boolean({ description: 'false when an identical version already existed' })),
});

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
    version: Type.Optional(Type.String({ description: 'run this version instead of the latest' })),
  },
  { additionalProperties: false },
);
export type InvokeBody = Static<typeof InvokeBody>;

export const ExecutionStatus = Type.Union([
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('timeout'),
  Type.Literal('oom'),
  Type.Literal('killed'),
  Type.Literal('rejected'),
]);

const LogLineView = Type.Object({
  ts: Type.Number(),
  level: Type.String(),
  msg: Type.String(),
});

const ErrorView = Type.Object({
  type: Type.String(),
  message: Type.String(),
  stack: Type.Optional(Type.String()),
});

export const InvokeResult = Type.Object({
  executionId: Type.String(),
  status: ExecutionStatus,
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorView),
  logs: Type.Array(LogLineView),
  durationMs: Type.Number(),
  start: Type.Union([Type.Literal('warm'), Type.Literal('pool'), Type.Literal('spawn'), Type.Null()]),
});

export const ExecutionView = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  function: Type.String(),
  version: Type.String(),
  status: ExecutionStatus,
  start: Type.Union([Type.String(), Type.Null()]),
  isolation: Type.String(),
  queuedAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Number(),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorView),
  logs: Type.Array(LogLineView),
});

export const ExecutionQuery = Type.Object(
  {
    function: Type.Optional(Name),
    status: Type.Optional(ExecutionStatus),
    before: Type.Optional(Type.String({ description: 'page: only executions older than this id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type ExecutionQuery = Static<typeof ExecutionQuery>;

export const KeyView = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  key: Type.Optional(Type.String({ description: 'the secret; shown only once, at creation' })),
});

export const TenantParams = Type.Object({ tenant: Name });
export const FunctionParams = Type.Object({ tenant: Name, name: Name });
export const ExecutionParams = Type.Object({ tenant: Name, id: Type.String({ maxLength: 64 }) });
export const KeyParams = Type.Object({ tenant: Name, id: Type.String({ maxLength: 64 }) });
export const VersionQuery = Type.Object({ version: Type.Optional(Type.String({ maxLength: 64 })) });
