// The batch invoke's schemas: its body (many inputs, one version, one per-call time limit) and its
// answer (the version, then one invoke answer per input, in order). They validate requests and
// generate /openapi.json like the rest of schemas.ts.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { MIN_LIMITS } from '../core/limits.js';
import { FIELD_DOCS } from './field-docs.js';
import { ErrorView, ExecutionStatus, LogLineView, NullableStringEnum, VERSION_NAME_DOC } from './schemas.js';

export function InvokeBatchBody(maxInputs: number) {
  return Type.Object(
    {
      inputs: Type.Array(Type.Unknown(), {
        minItems: 1,
        maxItems: maxInputs,
        description: `the inputs, each any JSON value and each run as its own execution: 1 to ${maxInputs} (AIRLOCK_MAX_BATCH_INPUTS)`,
      }),
      version: Type.Optional(Type.String({ description: `run this version instead of the latest: ${VERSION_NAME_DOC}` })),
      timeoutMs: Type.Optional(
        Type.Integer({ minimum: MIN_LIMITS.timeoutMs, description: "each call's wall-clock limit, ms, at most the function's limits.timeoutMs (its default)" }),
      ),
    },
    { additionalProperties: false },
  );
}
export type InvokeBatchBody = Static<ReturnType<typeof InvokeBatchBody>>;

const BatchItemView = Type.Object({
  executionId: Type.String({ description: 'the execution record of this input (a rejected one has one too)' }),
  status: ExecutionStatus,
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorView),
  logs: Type.Array(LogLineView),
  durationMs: Type.Number({ description: FIELD_DOCS.durationMs }),
  start: NullableStringEnum(['warm', 'pool', 'spawn'] as const, { description: FIELD_DOCS.start }),
});

export const InvokeBatchResult = Type.Object({
  version: Type.String({ description: 'the function version every input ran (its content hash)' }),
  results: Type.Array(BatchItemView, {
    description: 'one answer per input, in the order of inputs; rejected: admission refused it (error.type TOO_MANY_REQUESTS or SHUTTING_DOWN)',
  }),
});
