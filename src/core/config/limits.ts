// Configuration of function limits (AIRLOCK_DEFAULT_* and AIRLOCK_MAX_*): the limits a function
// gets when it asks for none, and the highest it may ask for; a default above its maximum is refused.
// The variables' names come from core/limits.ts, which also names them in its refusals.
import { AirlockError } from '../errors.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS, defaultLimitEnv, maxLimitEnv } from '../limits.js';
import type { FunctionLimits } from '../types.js';
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface FunctionLimitsConfig {
  defaultLimits: FunctionLimits;
  maxLimits: FunctionLimits;
}

type LimitKey = keyof FunctionLimits;

function limitsFrom(env: Env, name: (key: LimitKey) => string, base: FunctionLimits): FunctionLimits {
  return {
    timeoutMs: int(env, name('timeoutMs'), base.timeoutMs, 1, TIMER_MAX_MS),
    memoryMiB: int(env, name('memoryMiB'), base.memoryMiB, 1),
    inputBytes: int(env, name('inputBytes'), base.inputBytes, 1),
    resultBytes: int(env, name('resultBytes'), base.resultBytes, 1),
    logBytes: int(env, name('logBytes'), base.logBytes, 0),
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
