// In-memory cache of function versions in front of FunctionService, so the invoke hot path
// does not read (and parse) source from the store on every call. Deploy and delete through this
// server invalidate at once. Several servers may share one database (docs/queue.md): a deploy
// or delete through another server reaches this one when its entry is re-read, at most
// REVALIDATE_MS after it was cached (the "latest" pointer moves; a deleted function's versions
// go away).
import type { FunctionVersion } from '../core/types.js';
import type { FunctionService } from './functions.js';

const MAX_ENTRIES = 5_000;
/** How long a cached entry is served before it is read from the store again, ms. */
export const REVALIDATE_MS = 1_000;

interface Entry {
  fn: FunctionVersion;
  /** performance.now() when it was read from the store. */
  readAt: number;
}

export class FunctionCache {
  private readonly service: FunctionService;
  private readonly latest = new Map<string, Entry>();
  private readonly pinned = new Map<string, Entry>();

  constructor(service: FunctionService) {
    this.service = service;
  }

  async get(tenant: string, name: string, version?: string): Promise<FunctionVersion> {
    const map = version === undefined ? this.latest : this.pinned;
    const key = version === undefined ? `${tenant}/${name}` : `${tenant}/${name}@${version}`;
    const now = performance.now();
    const hit = map.get(key);
    if (hit && now - hit.readAt < REVALIDATE_MS) return hit.fn;
    map.delete(key); // a store error below must not leave the old entry to be served again
    const fn = await this.service.get(tenant, name, version);
    if (map.size >= MAX_ENTRIES) map.clear();
    map.set(key, { fn, readAt: now });
    return fn;
  }

  invalidate(tenant: string, name: string): void {
    this.latest.delete(`${tenant}/${name}`);
    const prefix = `${tenant}/${name}@`;
    for (const key of this.pinned.keys()) if (key.startsWith(prefix)) this.pinned.delete(key);
  }
}
