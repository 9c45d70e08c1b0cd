// A small in-memory cache whose entries are served for a fixed time after they were read from
// the store, then read again. Several servers may share one database (docs/queue.md): what one
// changes reaches another's cache within `ttlMs`. Changes through this server delete their
// entries at once. When full, it starts over (the working sets are small and re-read cheaply).

export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; readAt: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  /** `now` in ms, any origin (tests move it). */
  constructor(ttlMs: number, maxEntries: number, now: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.now = now;
  }

  /** The value read less than `ttlMs` ago, if any (an older one is never served). */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && this.now() - entry.readAt < this.ttlMs ? entry.value : undefined;
  }

  /** Stores `value` as read from the store now. */
  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { value, readAt: this.now() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Deletes every entry `matches` selects. */
  deleteWhere(matches: (key: string, value: V) => boolean): void {
    for (const [key, { value }] of this.entries) if (matches(key, value)) this.entries.delete(key);
  }
}
