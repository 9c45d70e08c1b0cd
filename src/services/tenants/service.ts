// Tenants: the listing of every tenant with anything stored, and the deletion of everything one
// tenant has (offboarding). A deletion takes away the tenant's keys, functions, secrets and
// schedules first (one transaction), cancels its running jobs and stops the slices this server
// runs, retires its sandboxes, waits for those runs to settle and their records to be written,
// then deletes the rest (queue items, execution records, schedule history) in bounded steps.
// A call that runs out of its time budget answers `complete: false`; calling again goes on.
import { AirlockError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { NO_DELETIONS } from '../../tenants/port.js';
import type { TenantDeletedCounts, TenantStore, TenantSummary } from '../../tenants/port.js';
import type { StopReason } from '../jobs/slice-errors.js';
import { validateName } from '../names.js';

/** Rows of each large table one step deletes (one short write transaction each). */
export const DELETE_STEP_ROWS = 2_000;
/** How long one deletion call goes on deleting before it answers `complete: false`, ms. */
export const DELETE_BUDGET_MS = 20_000;
/** How long a deletion waits for stopped job slices and retired sandboxes to end, ms. */
const SETTLE_WAIT_MS = 10_000;
/** Deletion steps per call at most (with DELETE_STEP_ROWS, tens of millions of rows). */
const MAX_STEPS = 10_000;

export interface TenantPage {
  tenants: TenantSummary[];
  /** The last tenant of a full page (pass it as `after`); null: the list ends here. */
  next: string | null;
}

export interface TenantDeletion {
  tenant: string;
  deleted: TenantDeletedCounts;
  /** Job slices this server was running for the tenant and stopped. */
  stoppedJobs: number;
  /** Sandboxes of the tenant this server retired (idle and busy). */
  retiredSandboxes: number;
  /** false: the time budget ran out with rows left; call again to go on. */
  complete: boolean;
}

export interface TenantServiceDeps {
  store: TenantStore;
  /** The job worker: stops a slice this server runs, and says when it has settled. */
  runner?: { stopRun(id: string, reason: StopReason): boolean; settled(id: string): Promise<void> };
  /** The sandbox pool: retires the tenant's sandboxes. */
  pool?: { retireTenant(tenant: string): { retired: number; exited: Promise<void> } };
  /** The execution recorder: records of the stopped runs are written before the rest is deleted. */
  recorder: { flush(): Promise<void> };
  /** Caches that hold the tenant's keys, functions, webhook tokens and verifications, dropped at once. */
  forget: ReadonlyArray<(tenant: string) => void>;
  logger?: Pick<Logger, 'warn'>;
  stepRows?: number;
  budgetMs?: number;
}

export class TenantService {
  private readonly deps: TenantServiceDeps;

  constructor(deps: TenantServiceDeps) {
    this.deps = deps;
  }

  async list(after: string | undefined, limit: number): Promise<TenantPage> {
    const tenants = await this.deps.store.list(after, limit);
    return { tenants, next: tenants.length > 0 && tenants.length === limit ? tenants[tenants.length - 1]!.tenant : null };
  }

  /** One tenant's summary; TENANT_NOT_FOUND when nothing is stored under its name. */
  async get(tenant: string): Promise<TenantSummary> {
    validateName('tenant', tenant);
    const found = await this.deps.store.get(tenant);
    if (found === undefined) throw notFound(tenant);
    return found;
  }

  /** Deletes everything of the tenant; TENANT_NOT_FOUND when nothing is stored under its name. */
  async delete(tenant: string): Promise<TenantDeletion> {
    validateName('tenant', tenant);
    const { store, runner, pool, recorder, forget } = this.deps;
    const rows = this.deps.stepRows ?? DELETE_STEP_ROWS;
    if (!(await store.exists(tenant))) throw notFound(tenant);
    const deleted = { ...NO_DELETIONS };
    const stopped: Promise<void>[] = [];
    let stoppedJobs = 0;
    const step = async (): Promise<boolean> => {
      const done = await store.deleteStep(tenant, rows);
      for (const kind of Object.keys(deleted) as (keyof TenantDeletedCounts)[]) deleted[kind] += done.deleted[kind];
      for (const id of done.stopped) {
        if (runner?.stopRun(id, 'cancelled') === true) stoppedJobs++;
        if (runner !== undefined) stopped.push(runner.settled(id));
      }
      return done.more;
    };
    // Keys, functions, secrets and schedules go first, in one transaction; then nothing new starts.
    await step();
    for (const drop of forget) drop(tenant);
    const retired = pool?.retireTenant(tenant) ?? { retired: 0, exited: Promise.resolve() };
    await settle(Promise.all([retired.exited, ...stopped]), SETTLE_WAIT_MS);
    // The stopped runs' records are written now, so that the steps below delete them too.
    await recorder.flush().catch((err: unknown) => this.deps.logger?.warn({ err, tenant }, 'could not write execution records before deleting a tenant; delete it again to remove any left'));
    const until = Date.now() + (this.deps.budgetMs ?? DELETE_BUDGET_MS);
    let more = true;
    for (let n = 0; more && n < MAX_STEPS && Date.now() < until; n++) {
      more = await step();
      // Other requests get the event loop (and the database) between steps.
      if (more) await new Promise((resolve) => setImmediate(resolve));
    }
    return { tenant, deleted, stoppedJobs, retiredSandboxes: retired.retired, complete: !(await store.exists(tenant)) };
  }
}

/** Waits for `work`, at most `ms`. */
async function settle(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work.then(() => {}, () => {}), timeout]);
  clearTimeout(timer);
}

function notFound(tenant: string): AirlockError {
  return new AirlockError(
    'TENANT_NOT_FOUND',
    `nothing is stored for tenant ${tenant} (never used, or already deleted); list the tenants with \`airlock tenants list\` (GET /v1/tenants)`,
  );
}
