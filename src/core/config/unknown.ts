// AIRLOCK_* variables the server does not know (a typo such as AIRLOCK_POOLSIZE is otherwise
// silently ignored): found by loading the configuration once with an environment that records
// which names it is asked for. Variables only the CLI reads are known too.
import type { Env } from './env.js';
import { closest } from '../suggest.js';

/** Read by the `airlock` client commands, not the server. */
const CLIENT_VARIABLES = ['AIRLOCK_URL', 'AIRLOCK_KEY'];

export interface UnknownSetting {
  name: string;
  /** The known variable it most likely meant, if one is close. */
  suggestion?: string;
}

/** The AIRLOCK_* variables of `env` that `load` never asks for, with a likely intended name. */
export function unknownSettings(env: Env, load: (env: Env) => unknown): UnknownSetting[] {
  const asked = new Set<string>(CLIENT_VARIABLES);
  const recording = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') asked.add(key);
      return Reflect.get(target, key) as unknown;
    },
  });
  load(recording);
  const known = [...asked].filter((name) => name.startsWith('AIRLOCK_'));
  return Object.keys(env)
    .filter((name) => name.startsWith('AIRLOCK_') && !asked.has(name))
    .sort()
    .map((name) => {
      const suggestion = closest(name, known);
      return suggestion === undefined ? { name } : { name, suggestion };
    });
}
