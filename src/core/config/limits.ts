// Configuration of function limits (AIRLOCK_DEFAULT_* and AIRLOCK_MAX_*): the limits a function
// gets when it asks for none, and the highest it may ask for; a default above its maximum, or
// either below the smallest a function may ask for, is refused.
// The variables' names come from core/limits.ts, which also names them in its refusals.
import { AirlockError } from '../errors.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS, defaultLimitEnv, maxLimitEnv, MIN_LIMITS } from '../limits.js';
import type { FunctionLimits } from '../types.js';
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface FunctionLimitsConfig {
  defaultLimits: FunctionLimits;
  maxLimits: FunctionLimits;
}

type LimitKey = keyof FunctionLimits;

/** Each limit from at least the smallest a function may ask for (MIN_LIMITS): a lower one could never run. */
function limitsFrom(env: Env, name: (key: LimitKey) => string, base: FunctionLimits): FunctionLimits {
  return {
    timeoutMs: int(env, name('timeoutMs'), base.timeoutMs, MIN_LIMITS.timeoutMs, TIMER_MAX_MS),
    memoryMiB: int(env, name('memoryMiB'), base.memoryMiB, MIN_LIMITS.memoryMiB),
    inputBytes: int(env, name('inputBytes'), base.inputBytes, MIN_LIMITS.inputBytes),
    resultBytes: int(env, name('resultBytes'), base.resultBytes, MIN_LIMITS.resultBytes),
    logBytes: int(env, name('logBytes'), base.logBytes, MIN_LIMITS.logBytes),
  };
}

export function functionLimitsFrom(env: Env): FunctionLimitsConfig {
  const maxLimits = limitsFrom(env, maxLimitEnv, DEFAULT_MAX_LIMITS);
  const defaultLimits = limitsFrom(env, defaultLimitEnv, DEFAULT_LIMITS);
  for (const key of Object.keys(defaultLimits) as LimitKey[]) {
    if (defaultLimits[key] > maxLimits[key]) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `${defaultLimitEnv(key)} (${defaultLimits[key]}) is above ${maxLimitEnv(key)} (${maxLimits[key]}); ` +
          'raise the maximum or lower the default',
      );
    }
  }
  return { defaultLimits, maxLimits };
}
