// Per-execution egress caps: built-in defaults and operator maxima (overridden by
// AIRLOCK_EGRESS_* in core/config/egress.ts), and their resolution against what a function asks
// for at deploy time (above the maximum is LIMIT_ABOVE_MAXIMUM, like every other limit).
import { AirlockError } from '../core/errors.js';
import type { EgressLimits } from '../core/types.js';

const MiB = 1024 * 1024;

export const EGRESS_LIMIT_KEYS: readonly (keyof EgressLimits)[] = ['requests', 'requestBytes', 'responseBytes', 'timeoutMs'];

export const DEFAULT_EGRESS_LIMITS: EgressLimits = {
  requests: 50,
  requestBytes: 1 * MiB,
  responseBytes: 1 * MiB,
  timeoutMs: 10_000,
};

export const DEFAULT_MAX_EGRESS_LIMITS: EgressLimits = {
  requests: 1_000,
  requestBytes: 5 * MiB,
  responseBytes: 5 * MiB,
  timeoutMs: 60_000,
};

export const MIN_EGRESS_LIMITS: EgressLimits = { requests: 1, requestBytes: 0, responseBytes: 0, timeoutMs: 10 };

/** Environment variable suffix of a limit: requestBytes → REQUEST_BYTES. */
export function egressEnvSuffix(key: keyof EgressLimits): string {
  return key.replace(/([A-Z])/g, '_$1').toUpperCase();
}

export function resolveEgressLimits(
  requested: Partial<EgressLimits> | undefined,
  defaults: EgressLimits,
  maxima: EgressLimits,
): EgressLimits {
  const out: EgressLimits = { ...defaults };
  for (const key of EGRESS_LIMIT_KEYS) {
    const value = requested?.[key];
    if (value === undefined) continue;
    if (value > maxima[key]) {
      throw new AirlockError(
        'LIMIT_ABOVE_MAXIMUM',
        `egress.limits.${key} = ${value} is above the operator maximum of ${maxima[key]}; ` +
          `ask the operator to raise it (env AIRLOCK_EGRESS_MAX_${egressEnvSuffix(key)}) or request less`,
        { limit: `egress.${key}`, requested: value, maximum: maxima[key] },
      );
    }
    if (value < MIN_EGRESS_LIMITS[key]) {
      throw new AirlockError('VALIDATION_FAILED', `egress.limits.${key} = ${value} is below the minimum of ${MIN_EGRESS_LIMITS[key]}`, {
        limit: `egress.${key}`,
        requested: value,
        minimum: MIN_EGRESS_LIMITS[key],
      });
    }
    out[key] = value;
  }
  return out;
}
