// Configuration of function limits (AIRLOCK_DEFAULT_* and AIRLOCK_MAX_*): the limits a function
// gets when it asks for none, and the highest it may ask for; a default above its maximum is refused.
import { AirlockError } from '../errors.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS } from '../limits.js';
import type { FunctionLimits } from '../types.js';
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface FunctionLimitsConfig {
  defaultLimits: FunctionLimits;
  maxLimits: FunctionLimits;
}

function limitsFrom(env: Env, prefix: string, base: FunctionLimits): FunctionLimits {
  return {
    timeoutMs: int(env, `${prefix}TIMEOUT_MS`, base.timeoutMs, 1, TIMER_MAX_MS),
    memoryMiB: int(env, `${prefix}MEMORY_MIB`, base.memoryMiB, 1),
    inputBytes: int(env, `${prefix}INPUT_BYTES`, base.inputBytes, 1),
    resultBytes: int(env, `${prefix}RESULT_BYTES`, base.resultBytes, 1),
    logBytes: int(env, `${prefix}LOG_BYTES`, base.logBytes, 0),
  };
}

export function functionLimitsFrom(env: Env): FunctionLimitsConfig {
  const maxLimits = limitsFrom(env, 'AIRLOCK_MAX_', DEFAULT_MAX_LIMITS);
  const defaultLimits = limitsFrom(env, 'AIRLOCK_DEFAULT_', DEFAULT_LIMITS);
  for (const key of Object.keys(defaultLimits) as (keyof FunctionLimits)[]) {
    if (defaultLimits[key] > maxLimits[key]) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `default limit ${key} (${defaultLimits[key]}) is above its maximum (${maxLimits[key]}); ` +
          'raise the AIRLOCK_MAX_* value or lower the AIRLOCK_DEFAULT_* value',
      );
    }
  }
  return { defaultLimits, maxLimits };
}
