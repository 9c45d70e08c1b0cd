// Configuration of admission control (AIRLOCK_CONCURRENCY, AIRLOCK_TENANT_*, AIRLOCK_QUEUE_WAIT_MS):
// how many executions run at once, globally and per tenant (with per-tenant overrides), and how
// long callers queue for a slot.
import { AirlockError } from '../errors.js';
import { NAME_PATTERN, NAME_RULE } from '../names.js';
import { int, TIMER_MAX_MS } from './env.js';
import type { Env } from './env.js';

export interface AdmissionConfig {
  /** Executions running at once across all tenants. */
  globalConcurrency: number;
  /** Executions running at once for one tenant without an override. */
  tenantConcurrency: number;
  /** Executions running at once for the tenants listed, instead of tenantConcurrency. */
  tenantConcurrencyOverrides: Readonly<Record<string, number>>;
  /** Longest a caller waits for a slot before a 429, ms. */
  maxWaitMs: number;
  /** Longest per-tenant wait queue; beyond it callers get a 429 at once. */
  maxQueuePerTenant: number;
}

const OVERRIDE_EXAMPLE = 'e.g. acme=32,free-tier-x=2';

/** Parses AIRLOCK_TENANT_CONCURRENCY_OVERRIDES: `tenant=limit` pairs separated by commas. */
function tenantOverrides(env: Env, name: string): Record<string, number> {
  const raw = env[name];
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  if (raw === undefined || raw.trim() === '') return out;
  for (const part of raw.split(',')) {
    const [tenant, value, extra] = part.trim().split('=');
    // Plain decimal digits only, as for every integer setting (no 1e3, 0x10 or +5).
    const limit = value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (tenant === undefined || !NAME_PATTERN.test(tenant) || extra !== undefined || !Number.isSafeInteger(limit) || limit < 1) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `${name} has an invalid entry ${JSON.stringify(part)}; write tenant=limit pairs with whole-number limits >= 1 ` +
          `and tenant names of ${NAME_RULE}, separated by commas, ${OVERRIDE_EXAMPLE}`,
      );
    }
    if (Object.hasOwn(out, tenant)) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `${name} lists tenant "${tenant}" more than once; keep one tenant=limit pair per tenant, ${OVERRIDE_EXAMPLE}`,
      );
    }
    out[tenant] = limit;
  }
  return out;
}

/** As read; loadConfig caps tenantConcurrency and the overrides at globalConcurrency once every section is read. */
export function admissionFrom(env: Env): AdmissionConfig {
  return {
    globalConcurrency: int(env, 'AIRLOCK_CONCURRENCY', 32, 1),
    tenantConcurrency: int(env, 'AIRLOCK_TENANT_CONCURRENCY', 8, 1),
    tenantConcurrencyOverrides: tenantOverrides(env, 'AIRLOCK_TENANT_CONCURRENCY_OVERRIDES'),
    maxWaitMs: int(env, 'AIRLOCK_QUEUE_WAIT_MS', 5_000, 0, TIMER_MAX_MS),
    maxQueuePerTenant: int(env, 'AIRLOCK_TENANT_QUEUE', 1_000, 0),
  };
}

/** Caps the default per-tenant limit and every override at the global one (a tenant can never use more). */
export function capAdmission(config: AdmissionConfig): void {
  const cap = config.globalConcurrency;
  if (config.tenantConcurrency > cap) config.tenantConcurrency = cap;
  const overrides = config.tenantConcurrencyOverrides as Record<string, number>;
  for (const tenant of Object.keys(overrides)) {
    if (overrides[tenant]! > cap) overrides[tenant] = cap;
  }
}
