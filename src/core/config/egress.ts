// Configuration of the egress broker (AIRLOCK_EGRESS_*; docs/egress.md): the default and highest
// per-execution caps (built-in values in src/egress/limits.ts) and the ranges allowed despite the
// address rules.
import { AirlockError } from '../errors.js';
import type { EgressLimits } from '../types.js';
import { parseCidr } from '../../egress/ip.js';
import type { Cidr } from '../../egress/ip.js';
import { DEFAULT_EGRESS_LIMITS, DEFAULT_MAX_EGRESS_LIMITS, EGRESS_LIMIT_KEYS, egressEnvSuffix } from '../../egress/limits.js';
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface EgressConfig {
  /** Caps a function gets when its policy sets none. */
  defaultLimits: EgressLimits;
  /** Highest caps a function may ask for (LIMIT_ABOVE_MAXIMUM above). */
  maxLimits: EgressLimits;
  /** Ranges allowed despite the address rules; metadata needs its exact range listed. */
  allowCidrs: Cidr[];
}

function egressLimitsFrom(env: Env, prefix: string, base: EgressLimits): EgressLimits {
  const out = { ...base };
  for (const key of EGRESS_LIMIT_KEYS) {
    const min = key === 'requests' || key === 'timeoutMs' ? 1 : 0;
    out[key] = int(env, `${prefix}${egressEnvSuffix(key)}`, base[key], min, key === 'timeoutMs' ? TIMER_MAX_MS : undefined);
  }
  return out;
}

export function egressFrom(env: Env): EgressConfig {
  const maxLimits = egressLimitsFrom(env, 'AIRLOCK_EGRESS_MAX_', DEFAULT_MAX_EGRESS_LIMITS);
  const defaultLimits = egressLimitsFrom(env, 'AIRLOCK_EGRESS_DEFAULT_', DEFAULT_EGRESS_LIMITS);
  for (const key of EGRESS_LIMIT_KEYS) {
    if (defaultLimits[key] > maxLimits[key]) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `AIRLOCK_EGRESS_DEFAULT_${egressEnvSuffix(key)} (${defaultLimits[key]}) is above AIRLOCK_EGRESS_MAX_${egressEnvSuffix(key)} ` +
          `(${maxLimits[key]}); raise the maximum or lower the default`,
      );
    }
  }
  const allowCidrs: Cidr[] = [];
  for (const item of (env.AIRLOCK_EGRESS_ALLOW_CIDRS ?? '').split(',')) {
    if (item.trim() === '') continue;
    try {
      allowCidrs.push(parseCidr(item));
    } catch (err) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `AIRLOCK_EGRESS_ALLOW_CIDRS: ${err instanceof Error ? err.message : String(err)}; use a comma list like 10.1.0.0/16,fd12::/64`,
      );
    }
  }
  return { defaultLimits, maxLimits, allowCidrs };
}
