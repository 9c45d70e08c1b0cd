// Default limits and operator maxima. A function may override any default at deploy time, but
// never above the operator's maximum; one place resolves the two.
import { AirlockError } from './errors.js';
import type { FunctionLimits } from './types.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: FunctionLimits = {
  timeoutMs: 2_000,
  memoryMiB: 128,
  inputBytes: 5.5 * MiB,
  resultBytes: 256 * KiB,
  logBytes: 64 * KiB,
};

export const DEFAULT_MAX_LIMITS: FunctionLimits = {
  timeoutMs: 60_000,
  memoryMiB: 1024,
  inputBytes: 5.5 * MiB,
  resultBytes: 5 * MiB,
  logBytes: 1 * MiB,
};

/**
 * Environment variable suffix of each limit: the operator sets AIRLOCK_DEFAULT_<suffix> and
 * AIRLOCK_MAX_<suffix> (read in config/limits.ts). The only place these names are spelled.
 */
export const LIMIT_ENV_SUFFIX: Readonly<Record<keyof FunctionLimits, string>> = {
  timeoutMs: 'TIMEOUT_MS',
  memoryMiB: 'MEMORY_MIB',
  inputBytes: 'INPUT_BYTES',
  resultBytes: 'RESULT_BYTES',
  logBytes: 'LOG_BYTES',
};

/** The variable that sets the operator maximum of `key`, e.g. AIRLOCK_MAX_MEMORY_MIB. */
export function maxLimitEnv(key: keyof FunctionLimits): string {
  return `AIRLOCK_MAX_${LIMIT_ENV_SUFFIX[key]}`;
}

/** The variable that sets the default of `key`, e.g. AIRLOCK_DEFAULT_MEMORY_MIB. */
export function defaultLimitEnv(key: keyof FunctionLimits): string {
  return `AIRLOCK_DEFAULT_${LIMIT_ENV_SUFFIX[key]}`;
}

/** Lowest accepted value of each limit (below these a function cannot do anything useful). */
export const MIN_LIMITS: FunctionLimits = {
  timeoutMs: 10,
  memoryMiB: 16,
  inputBytes: 2,
  resultBytes: 16,
  logBytes: 0,
};

/** Merge requested overrides with defaults, rejecting anything above the operator maxima. */
export function resolveLimits(
  requested: Partial<FunctionLimits> | undefined,
  defaults: FunctionLimits,
  maxima: FunctionLimits,
): FunctionLimits {
  const out: FunctionLimits = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof FunctionLimits)[]) {
    const value = requested?.[key];
    if (value === undefined) continue;
    if (value > maxima[key]) {
      throw new AirlockError(
        'LIMIT_ABOVE_MAXIMUM',
        `limits.${key} = ${value} is above the operator maximum of ${maxima[key]}; ` +
          `ask the operator to raise it (env ${maxLimitEnv(key)}) or request less`,
        { limit: key, requested: value, maximum: maxima[key] },
      );
    }
    if (value < MIN_LIMITS[key]) {
      throw new AirlockError(
        'VALIDATION_FAILED',
        `limits.${key} = ${value} is below the minimum of ${MIN_LIMITS[key]}`,
        { limit: key, requested: value, minimum: MIN_LIMITS[key] },
      );
    }
    out[key] = value;
  }
  return out;
}

/**
 * A request body of an invoke this large or larger is parsed on the server's parser thread, not
 * on its event loop (json-thread/): about half a millisecond of parsing and serializing,
 * against the thread hop's tens of µs.
 */
export const OFF_THREAD_BODY_BYTES = 64 * KiB;

/** Room for the rest of a request (the `version`, `idempotencyKey`, … fields) next to its input, bytes. */
export const INPUT_ENVELOPE_BYTES = 64 * KiB;

/**
 * The body limit of a request that carries an input (invoke, job, schedule): twice the largest
 * input plus room for the rest of the request. The input limit is measured on the input as compact
 * UTF-8 JSON; a body is measured as sent, and a client that writes non-ASCII text as `\uXXXX`
 * escapes (Python's `json.dumps` by default: 6 bytes for a 3-byte CJK character) or adds
 * whitespace sends more bytes for the same input, which must not be refused as too large.
 */
export function inputBodyLimit(maxInputBytes: number): number {
  return 2 * maxInputBytes + INPUT_ENVELOPE_BYTES;
}
