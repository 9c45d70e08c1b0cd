// Binding a blank sandbox the pool hands out to its tenant (Sandbox.bindTenant: its move under the
// tenant's cgroup), deferred until its first call ends or BIND_DELAY_MS into it, whichever comes
// first, and never awaited by the pool.
import type { PoolLogger } from './pool-logger.js';
import type { Sandbox } from './port.js';

/**
 * A sandbox bound to a tenant joins the tenant's cgroup when its first call ends or after this
 * long, whichever comes first: moving a process between cgroups can stall for milliseconds in
 * the kernel, which a short first call should not pay for.
 */
const BIND_DELAY_MS = 50;

/** The fields of a pool entry that binding reads and writes. */
export interface Bindable {
  readonly sandbox: Sandbox;
  readonly state: string;
  /** Tenant whose cgroup the sandbox still has to join (see bindSoon); null once done. */
  unboundTenant: string | null;
  bindTimer: NodeJS.Timeout | undefined;
}

/**
 * Binds a blank sandbox to its tenant (its cgroup) when its first call ends or BIND_DELAY_MS
 * later, without waiting: the sandbox's own limits hold from its start, and one that cannot be
 * moved destroys itself (fail closed), which ends the call it serves as `killed` and retires it
 * from the pool through its exit listener.
 */
export function bindSoon(entry: Bindable, tenant: string, logger: PoolLogger | undefined): void {
  entry.unboundTenant = tenant;
  entry.bindTimer = setTimeout(() => bindNow(entry, logger), BIND_DELAY_MS);
  entry.bindTimer.unref();
}

/** Binds now if a bind is still pending (the first call ended); no-op otherwise. */
export function bindNow(entry: Bindable, logger: PoolLogger | undefined): void {
  clearTimeout(entry.bindTimer);
  entry.bindTimer = undefined;
  const tenant = entry.unboundTenant;
  if (tenant === null || entry.state === 'closing') return;
  entry.unboundTenant = null;
  // After the current turn of the event loop: the answer to the call that just ended goes out
  // first, and a new tenant's first bind (creating its groups) never delays it.
  setImmediate(() => {
    entry.sandbox.bindTenant(tenant).catch((err: unknown) => {
      logger?.warn({ err }, 'could not bind a sandbox to its tenant; it was destroyed');
    });
  });
}
