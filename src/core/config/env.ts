// Primitives every configuration section reads its environment variables with: an integer with
// a floor, or one of a fixed set of words; unset or empty means the default.
import { AirlockError } from '../errors.js';

export type Env = Record<string, string | undefined>;

export function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !Number.isInteger(value) || value < min) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `${name}=${JSON.stringify(raw)} is not a valid integer >= ${min}; unset it to use the default (${fallback})`,
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
      `${name}=${JSON.stringify(raw)} is not one of ${allowed.join(', ')}`,
    );
  }
  return raw as T;
}
