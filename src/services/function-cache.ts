// In-memory cache of function versions in front of FunctionService, so the invoke hot path
// does not read (and parse) source from the store on every call. Deploy and delete go through
// here and invalidate; versions are immutable, so only the "latest" pointer can go stale.
import type { FunctionVersion } from '../core/types.js';
import type { FunctionService } from './functions.js';

const MAX_ENTRIES = 5_000;

export class FunctionCache {
  private readonly service: FunctionService;
  private readonly latest = new Map<string, FunctionVersion>();
  private readonly pinned = new Map<string, FunctionVersion>();

  constructor(service: FunctionService) {
    this.service = service;
  }

  async get(tenant: string, name: string, version?: string): Promise<FunctionVersion> {
    const map = version === undefined ? this.latest : this.pinned;
    const key = version === undefined ? `${tenant}/${name}` : `${tenant}/${name}@${version}`;
    const hit = map.get(key);
    if (hit) return hit;
    const fn = await this.service.get(tenant, name, version);
    if (map.size >= MAX_ENTRIES) map.clear();
    map.set(key, fn);
    return fn;
  }

  invalidate(tenant: string, name: string): void {
    this.latest.delete(`${tenant}/${name}`);
    const prefix = `${tenant}/${name}@`;
    for (const key of this.pinned.keys()) if (key.startsWith(prefix)) this.pinned.delete(key);
  }
}
