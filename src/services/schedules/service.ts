// Schedules: create or replace (validated: the function exists, the input fits its limits, the
// cron expression and time zone parse, the interval is not below the operator's minimum), read,
// list, delete, and list a schedule's occurrences. Firing is the ScheduleRunner's job; this
// service only nudges it after a change. Everything is tenant-scoped.
import type { Config } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import { serializeInput } from '../../core/json.js';
import type { Overlap, PutResult, Schedule, ScheduleRun, ScheduleStore } from '../../schedules/port.js';
import { nextAfter, validateTiming } from '../../schedules/timing.js';
import type { Timing } from '../../schedules/timing.js';
import type { FunctionCache } from '../function-cache.js';
import { listHint } from '../names.js';

export interface PutScheduleRequest {
  function: string;
  cron?: string;
  everySeconds?: number;
  input?: unknown;
  /** IANA time zone a cron expression is read in. Default UTC. */
  timezone?: string;
  /** skip (default): an occurrence is skipped while the previous run is queued or running. */
  overlap?: Overlap;
}

export interface ScheduleServiceDeps {
  config: Config;
  store: ScheduleStore;
  functions: FunctionCache;
  /** Told after a change, so a new next occurrence is seen at once. */
  runner?: { wake(): void };
  /** Epoch ms; the runner must use the same clock. Default Date.now. */
  now?: () => number;
}

export function timingOf(s: Pick<Schedule, 'cron' | 'everySeconds' | 'timezone' | 'anchorAt'>): Timing {
  const t: Timing = { timezone: s.timezone, anchorAt: s.anchorAt };
  if (s.cron !== undefined) t.cron = s.cron;
  if (s.everySeconds !== undefined) t.everySeconds = s.everySeconds;
  return t;
}

function sameTiming(a: Timing, b: Timing): boolean {
  return a.cron === b.cron && a.everySeconds === b.everySeconds && a.timezone === b.timezone;
}

export class ScheduleService {
  private readonly deps: ScheduleServiceDeps;
  private readonly now: () => number;

  constructor(deps: ScheduleServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  async put(tenant: string, name: string, req: PutScheduleRequest): Promise<PutResult> {
    const { config, store, functions } = this.deps;
    const now = this.now();
    const timing: Timing = { timezone: req.timezone ?? 'UTC', anchorAt: now };
    if (req.cron !== undefined) timing.cron = req.cron;
    if (req.everySeconds !== undefined) timing.everySeconds = req.everySeconds;
    validateTiming(timing, config.schedules.minIntervalSeconds, now);
    const fn = await functions.get(tenant, req.function);
    serializeInput(req.input ?? null, config.maxJsonDepth, fn.limits.inputBytes, config.maxLimits.inputBytes);
    const existing = await store.get(tenant, name);
    if (existing === undefined && (await store.count(tenant)) >= config.schedules.perTenant) {
      throw new AirlockError(
        'LIMIT_ABOVE_MAXIMUM',
        `tenant ${tenant} already has ${config.schedules.perTenant} schedules (AIRLOCK_SCHEDULES_PER_TENANT); delete one first`,
      );
    }
    // Changing only the function, input or overlap keeps the occurrences where they were.
    const keep = existing !== undefined && sameTiming(timingOf(existing), timing);
    const anchorAt = keep ? existing.anchorAt : now;
    const nextAt = keep ? existing.nextAt : nextAfter({ ...timing, anchorAt }, now);
    const result = await store.put({
      tenant,
      name,
      function: req.function,
      ...(timing.cron === undefined ? {} : { cron: timing.cron }),
      ...(timing.everySeconds === undefined ? {} : { everySeconds: timing.everySeconds }),
      timezone: timing.timezone,
      input: req.input ?? null,
      overlap: req.overlap ?? 'skip',
      anchorAt,
      ...(nextAt === undefined ? {} : { nextAt }),
      updatedAt: now,
    });
    this.deps.runner?.wake();
    return result;
  }

  async get(tenant: string, name: string): Promise<Schedule> {
    const s = await this.deps.store.get(tenant, name);
    if (s === undefined) throw notFound(tenant, name);
    return s;
  }

  list(tenant: string): Promise<Schedule[]> {
    return this.deps.store.list(tenant);
  }

  async delete(tenant: string, name: string): Promise<void> {
    if (!(await this.deps.store.delete(tenant, name))) throw notFound(tenant, name);
  }

  /** Deletes every schedule of the tenant that fires `fn` (the function is being deleted); their names. */
  async deleteForFunction(tenant: string, fn: string): Promise<string[]> {
    const deleted: string[] = [];
    for (const schedule of await this.deps.store.list(tenant)) {
      if (schedule.function === fn && (await this.deps.store.delete(tenant, schedule.name))) deleted.push(schedule.name);
    }
    return deleted;
  }

  /** The schedule's occurrences, newest first (fired, skipped, failed to fire, or being fired). */
  async runs(tenant: string, name: string, limit: number, before?: number): Promise<ScheduleRun[]> {
    await this.get(tenant, name);
    return this.deps.store.listRuns(tenant, name, limit, before);
  }
}

function notFound(tenant: string, name: string): AirlockError {
  return new AirlockError('SCHEDULE_NOT_FOUND', `no schedule ${name} for tenant ${tenant}; ${listHint(`airlock schedules list ${tenant}`, `/v1/tenants/${tenant}/schedules`)}`);
}
