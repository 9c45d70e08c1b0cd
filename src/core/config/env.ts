// Primitives every configuration section reads its environment variables with: an integer within
// a range, or one of a fixed set of words; unset or empty means the default.
import { AirlockError } from '../errors.js';

export type Env = Record<string, string | undefined>;

/**
 * Longest delay Node's timers take, ms (about 24.8 days): a longer one fires after 1 ms instead,
 * so every setting that ends up as a timer's delay is capped here.
 */
export const TIMER_MAX_MS = 2_147_483_647;

/** Flags of `airlock server` that set a variable (src/cli/commands/server.ts); refusals name both. */
const SERVER_FLAGS: Readonly<Record<string, string>> = {
  AIRLOCK_PORT: '--port',
  AIRLOCK_HOST: '--host',
  AIRLOCK_DATA_DIR: '--data-dir',
  AIRLOCK_ISOLATION: '--isolation',
};

/** A variable as a refusal names it: with its flag when it has one, e.g. `AIRLOCK_PORT (--port)`. */
export function settingName(name: string): string {
  const flag = SERVER_FLAGS[name];
  return flag === undefined ? name : `${name} (${flag})`;
}

function rangeText(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
}

export function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Plain decimal digits only: Number() would also take 1e3, 0x10 or +5.
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `${settingName(name)} must be an integer ${rangeText(min, max)}, not ${JSON.stringify(raw)}; unset it to use the default (${fallback})`,
      { variable: name },
    );
  }
  return value;
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `${settingName(name)} must be one of ${allowed.join(', ')}, not ${JSON.stringify(raw)}; unset it to use the default (${fallback})`,
      { variable: name },
    );
  }
  return raw as T;
}
