// Which functions have run in each warm sandbox. Under isolation "tenant" a tenant's functions
// share one sandbox, so one Node heap: a function that keeps growing globalThis can make a later
// call of another function run out of memory, and that call's error would blame the function
// that happened to run last. An out-of-memory error in a sandbox that other functions used too
// says so, naming them, and how to tell them apart.
import type { ExecutionError } from '../core/types.js';

/** Most other functions named in a message. */
const NAMED = 3;

export class SandboxFunctions {
  readonly #seen = new WeakMap<object, Set<string>>();

  /** Notes that `fn` runs in `sandbox` (a sandbox that is gone is forgotten with it). */
  note(sandbox: object, fn: string): void {
    const seen = this.#seen.get(sandbox);
    if (seen === undefined) this.#seen.set(sandbox, new Set([fn]));
    else seen.add(fn);
  }

  /** `error` of a run of `fn` that ran out of memory in `sandbox`, with the functions that shared its heap, if any. */
  explainOom(error: ExecutionError, sandbox: object, fn: string): ExecutionError {
    const others = [...(this.#seen.get(sandbox) ?? [])].filter((name) => name !== fn);
    if (others.length === 0) return error;
    const named = others.slice(0, NAMED).join(', ') + (others.length > NAMED ? ` and ${others.length - NAMED} more` : '');
    return {
      ...error,
      message:
        `${error.message}. Its sandbox also ran ${named} of the same tenant (isolation "tenant": one heap for all), ` +
        'so memory they kept (e.g. in globalThis) counts too: deploy them with isolation "function" to see which one grows',
    };
  }
}
