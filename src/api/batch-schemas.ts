// The batch invoke's schemas: its body (many inputs, one version, one per-call time limit) and its
// answer (the version, then one invoke answer per input, in order). They validate requests and
// generate /openapi.json like the rest of schemas.ts.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { MIN_LIMITS } from '../core/limits.js';
import { ExecutionStatus, InvokeResult, VERSION_NAME_DOC } from './schemas.js';

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

/** An input's answer: an invoke's, without the version (the batch's own), and `rejected` besides. */
const { version: _version, status: _status, ...invokeFields } = InvokeResult.properties;
const BatchItemView = Type.Object({ ...invokeFields, status: ExecutionStatus });

export const InvokeBatchResult = Type.Object({
  version: Type.String({ description: 'the function version every input ran (its content hash)' }),
  results: Type.Array(BatchItemView, {
    description: 'one answer per input, in the order of inputs; rejected: admission refused it (error.type TOO_MANY_REQUESTS or SHUTTING_DOWN)',
  }),
});
