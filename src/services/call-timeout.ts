// A call's own time limit (`timeoutMs` in an invoke's body): a caller with a deadline of its own
// (an evaluator with a budget per trace) may give a call less time than the function's
// limits.timeoutMs, never more. A call that runs out of it is told which limit it was.
import { AirlockError } from '../core/errors.js';
import type { FunctionVersion } from '../core/types.js';

/** The limit a call runs under: the one it asked for, or the function's. */
export function callTimeout(asked: number | undefined, fn: Pick<FunctionVersion, 'limits' | 'tenant' | 'name'>): number {
  if (asked === undefined) return fn.limits.timeoutMs;
  if (asked > fn.limits.timeoutMs) {
    throw new AirlockError(
      'LIMIT_ABOVE_MAXIMUM',
      `timeoutMs ${asked} is above the function's limit of ${fn.limits.timeoutMs} ms; a call may only ask for less time ` +
        `(redeploy ${fn.tenant}/${fn.name} with a higher limits.timeoutMs for more)`,
      { limit: fn.limits.timeoutMs },
    );
  }
  return asked;
}

/** How a timeout's message names the limit: the call's own when it asked for less than the function's. */
export function callTimeoutName(asked: number | undefined, fn: Pick<FunctionVersion, 'limits'>): string | undefined {
  if (asked === undefined || asked === fn.limits.timeoutMs) return undefined;
  return `this call's timeoutMs; the function's limits.timeoutMs is ${fn.limits.timeoutMs} ms`;
}
