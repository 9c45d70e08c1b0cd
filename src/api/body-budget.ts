// The budget of large request bodies held at once (AIRLOCK_BODY_BYTES_IN_FLIGHT): a body of
// LARGE_BODY_BYTES or more counts from its parse until its answer is sent (or its connection
// closes), and one that would take the total above the budget is refused 429 TOO_MANY_REQUESTS
// with Retry-After. A call holds its parsed body while it waits for admission and runs, and a
// tenant may have a thousand calls waiting: without a bound, one key sending large inputs at once
// could make the server hold more memory than the machine has, and stop for every tenant. One
// tenant may hold at most half of the budget, so its burst leaves room for the others' bodies.
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

/** Why a body was not taken: the server's whole budget, or the tenant's share of it. */
export type Refusal = 'server' | 'tenant';

export class BodyBudget {
  readonly limit: number;
  /** Most one tenant may hold: half the budget. */
  readonly tenantShare: number;
  #held = 0;
  readonly #byTenant = new Map<string, number>();

  constructor(limit: number) {
    this.limit = limit;
    this.tenantShare = Math.floor(limit / 2);
  }

  /** Bytes of large bodies held now, in all or by `tenant`. */
  held(tenant?: string): number {
    return tenant === undefined ? this.#held : (this.#byTenant.get(tenant) ?? 0);
  }

  /**
   * Takes `bytes` for `tenant` if they fit in the budget and in the tenant's share; one body fits
   * whatever its size when nothing (in all, or of the tenant) is held. Answers why not otherwise.
   */
  tryTake(bytes: number, tenant: string): Refusal | undefined {
    if (this.#held > 0 && this.#held + bytes > this.limit) return 'server';
    const mine = this.held(tenant);
    if (mine > 0 && mine + bytes > this.tenantShare) return 'tenant';
    this.#held += bytes;
    this.#byTenant.set(tenant, mine + bytes);
    return undefined;
  }

  give(bytes: number, tenant: string): void {
    this.#held = Math.max(0, this.#held - bytes);
    const left = this.held(tenant) - bytes;
    if (left > 0) this.#byTenant.set(tenant, left);
    else this.#byTenant.delete(tenant);
  }
}

/** Counts every large JSON body of `app` against `budget` until its answer is sent or its connection closes. */
export function registerBodyBudget(app: FastifyInstance, budget: BodyBudget): void {
  app.addHook('preHandler', (request, reply, done) => {
    const bytes = (request as Measured)[BODY_BYTES];
    if (bytes === undefined) return done();
    // Routes without a tenant (admin-wide ones) share one account.
    const param = (request.params as { tenant?: unknown } | undefined)?.tenant;
    const tenant = typeof param === 'string' ? param : '';
    const refusal = budget.tryTake(bytes, tenant);
    if (refusal !== undefined) return done(refused(budget, refusal, tenant, bytes));
    let given = false;
    reply.raw.once('close', () => {
      if (given) return;
      given = true;
      budget.give(bytes, tenant);
    });
    done();
  });
}

function refused(budget: BodyBudget, refusal: Refusal, tenant: string, bytes: number): AirlockError {
  const held =
    refusal === 'server'
      ? `the server is holding ${mib(budget.held())} of large request bodies, the most it holds at once ` +
        `(AIRLOCK_BODY_BYTES_IN_FLIGHT, ${mib(budget.limit)})`
      : `tenant "${tenant}" has ${mib(budget.held(tenant))} of large request bodies in progress, the most one tenant may ` +
        `(half of AIRLOCK_BODY_BYTES_IN_FLIGHT, ${mib(budget.tenantShare)})`;
  return new AirlockError(
    'TOO_MANY_REQUESTS',
    `${held}, and this body is ${mib(bytes)}; retry after a second, send fewer large requests at once, ` +
      'or ask the operator to raise AIRLOCK_BODY_BYTES_IN_FLIGHT',
    { retryAfterSeconds: 1 },
  );
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
