// The budget of large request bodies held at once (AIRLOCK_BODY_BYTES_IN_FLIGHT): a body of
// LARGE_BODY_BYTES or more counts from its parse until its answer is sent (or its connection
// closes), and one that would take the total above the budget is refused 429 TOO_MANY_REQUESTS
// with Retry-After. A call holds its parsed body while it waits for admission and runs, and a
// tenant may have a thousand calls waiting: without a bound, one key sending large inputs at once
// could make the server hold more memory than the machine has, and stop for every tenant.
// Small bodies are not counted (a field write and a comparison are all they cost).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AirlockError } from '../core/errors.js';

/** Bodies at least this large count against the budget, bytes. */
export const LARGE_BODY_BYTES = 64 * 1024;

const BODY_BYTES = Symbol('bodyBytes');
type Measured = FastifyRequest & { [BODY_BYTES]?: number };

/** Notes the size of a request's body as read (json-body.ts calls this for every JSON body). */
export function noteBodyBytes(request: FastifyRequest, bytes: number): void {
  if (bytes >= LARGE_BODY_BYTES) (request as Measured)[BODY_BYTES] = bytes;
}

export class BodyBudget {
  readonly limit: number;
  #held = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes of large bodies held now. */
  get held(): number {
    return this.#held;
  }

  /** Takes `bytes` if they fit, or if nothing is held (one body of any accepted size always fits); false otherwise. */
  tryTake(bytes: number): boolean {
    if (this.#held > 0 && this.#held + bytes > this.limit) return false;
    this.#held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }
}

/** Counts every large JSON body of `app` against `budget` until its answer is sent or its connection closes. */
export function registerBodyBudget(app: FastifyInstance, budget: BodyBudget): void {
  app.addHook('preHandler', (request, reply, done) => {
    const bytes = (request as Measured)[BODY_BYTES];
    if (bytes === undefined) return done();
    if (!budget.tryTake(bytes)) {
      return done(
        new AirlockError(
          'TOO_MANY_REQUESTS',
          `the server is holding ${mib(budget.held)} of large request bodies, the most it holds at once ` +
            `(AIRLOCK_BODY_BYTES_IN_FLIGHT, ${mib(budget.limit)}), and this body is ${mib(bytes)}; retry after a second, ` +
            'send fewer large requests at once, or ask the operator to raise AIRLOCK_BODY_BYTES_IN_FLIGHT',
          { retryAfterSeconds: 1 },
        ),
      );
    }
    let given = false;
    reply.raw.once('close', () => {
      if (given) return;
      given = true;
      budget.give(bytes);
    });
    done();
  });
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
