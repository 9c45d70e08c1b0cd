// In-memory cache of function versions in front of FunctionService, so the invoke hot path
// does not read (and parse) source from the store on every call. Deploy, rollback and delete
// through this server invalidate at once. Several servers may share one database (docs/queue.md):
// a deploy, rollback or delete through another server reaches this one when its entry is
// re-read, at most REVALIDATE_MS after it was cached (the "latest" pointer moves; a deleted
// function's versions go away).
import { ExpiringCache } from '../core/expiring-cache.js';
import type { FunctionVersion } from '../core/types.js';
import type { FunctionService } from './functions.js';

const MAX_ENTRIES = 5_000;
/** How long a cached entry is served before it is read from the store again, ms. */
export const REVALIDATE_MS = 1_000;

export class FunctionCache {
  private readonly service: FunctionService;
  private readonly latest = new ExpiringCache<FunctionVersion>(REVALIDATE_MS, MAX_ENTRIES);
  private readonly pinned = new ExpiringCache<FunctionVersion>(REVALIDATE_MS, MAX_ENTRIES);

  constructor(service: FunctionService) {
    this.service = service;
  }

  async get(tenant: string, name: string, version?: string): Promise<FunctionVersion> {
    const cache = version === undefined ? this.latest : this.pinned;
    const key = version === undefined ? `${tenant}/${name}` : `${tenant}/${name}@${version}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const fn = await this.service.get(tenant, name, version);
    cache.set(key, fn);
    return fn;
  }

  /** Drops every cached version of the tenant's functions (a deleted tenant). */
  invalidateTenant(tenant: string): void {
    const prefix = `${tenant}/`;
    this.latest.deleteWhere((key) => key.startsWith(prefix));
    this.pinned.deleteWhere((key) => key.startsWith(prefix));
  }

  invalidate(tenant: string, name: string): void {
    this.latest.delete(`${tenant}/${name}`);
    const prefix = `${tenant}/${name}@`;
    this.pinned.deleteWhere((key) => key.startsWith(prefix));
  }
}
