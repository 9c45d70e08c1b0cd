// What a timed-out call's message adds about the machine: how many sandboxes were running calls
// when it ended, against the CPUs the server may use. The time limit is wall-clock, and a function
// that computes shares the cores with every running sandbox (its own tenant's concurrent calls
// included), so a limit that holds for one call alone can run out in a batch. The function cannot
// see that; the host can, at no cost to calls that finish in time (this runs only on a timeout).
import type { ExecutionError } from '../core/types.js';
import { usableCpus } from '../core/usable-cpus.js';

let serverCpus: number | undefined;

/**
 * `error` with the contention it ended in, when more sandboxes were busy than there are CPUs;
 * else `error` unchanged. `busy` counts the timed-out call's own sandbox.
 */
export function withContention(error: ExecutionError, busy: number, cpus: number = (serverCpus ??= usableCpus())): ExecutionError {
  if (busy <= cpus) return error;
  return {
    ...error,
    message:
      `${error.message}. When it ended, ${busy} sandboxes were running calls on this server, which may use ${cpus} ` +
      `CPU${cpus === 1 ? '' : 's'}: a function that computes got a share of a core, so a time limit that holds for ` +
      'one call alone can run out when many run at once; send fewer calls at once (the operator can lower this ' +
      "tenant's limit with AIRLOCK_TENANT_CONCURRENCY_OVERRIDES), or raise the time limit",
  };
}
