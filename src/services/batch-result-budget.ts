// How much of the server's memory each tenant's running batches hold: a batch keeps every
// finished input's result and logs until the whole batch is answered, and admission bounds only
// the inputs that run at once, not those that are done. Without a bound, one request of 100
// inputs of 5 MiB results holds 500 MiB, and a tenant sending several such batches at once could
// make the server hold more memory than the machine has (AIRLOCK_BATCH_RESULT_BYTES).
import { AirlockError } from '../core/errors.js';
import type { LogLine } from '../core/types.js';

/** What a finished input holds until its batch is answered. */
export interface HeldAnswer {
  result?: unknown;
  resultJson?: string;
  logs: readonly LogLine[];
}

/** Characters of an answer's result JSON and log text: what it holds, near enough. */
export function heldChars(answer: HeldAnswer): number {
  let chars = answer.resultJson?.length ?? (answer.result === undefined ? 0 : (JSON.stringify(answer.result)?.length ?? 0));
  for (const line of answer.logs) chars += line.msg.length;
  return chars;
}

export class BatchResultBudget {
  readonly #limit: number;
  readonly #held = new Map<string, number>();

  /** `limit`: AIRLOCK_BATCH_RESULT_BYTES, characters per tenant. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The refusal of a further input of the tenant when its batches hold the limit already, else undefined. */
  refusal(tenant: string): AirlockError | undefined {
    const held = this.#held.get(tenant) ?? 0;
    if (held < this.#limit) return undefined;
    return new AirlockError(
      'BATCH_RESULTS_FULL',
      `not run: the batches of tenant ${tenant} running now already hold ${held} characters of results and logs, ` +
        `the most AIRLOCK_BATCH_RESULT_BYTES allows (${this.#limit}); send the inputs answered so in another batch ` +
        'once this one is answered, or fewer inputs per batch',
    );
  }

  hold(tenant: string, chars: number): void {
    this.#held.set(tenant, (this.#held.get(tenant) ?? 0) + chars);
  }

  release(tenant: string, chars: number): void {
    const left = (this.#held.get(tenant) ?? 0) - chars;
    if (left > 0) this.#held.set(tenant, left);
    else this.#held.delete(tenant);
  }
}
