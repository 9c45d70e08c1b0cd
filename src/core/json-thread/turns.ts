// Work waiting per tenant, taken tenants in turn: next() takes the oldest item of the tenant that
// has had the fewest turns (the first to start waiting, on a tie). Turns count from the moment the
// thread got busy until reset() (nothing waiting and nothing in hand): a tenant that starts waiting
// joins with as many turns as the tenant served last had before its turn, so it is served before
// tenants that already had theirs, and one that was away comes back with no credit saved up.
interface Tenant<T> {
  items: T[];
  turns: number;
}

export class TenantTurns<T> {
  /** Every tenant served or waiting since the last reset, in the order they came. */
  readonly #tenants = new Map<string, Tenant<T>>();
  /** The turns of the tenant served last, before its turn: where a tenant that starts waiting joins. */
  #floor = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(key: string, item: T): void {
    const tenant = this.#tenants.get(key);
    if (tenant === undefined) this.#tenants.set(key, { items: [item], turns: this.#floor });
    else {
      if (tenant.items.length === 0) tenant.turns = Math.max(tenant.turns, this.#floor);
      tenant.items.push(item);
    }
    this.#size++;
  }

  /** The oldest item of the waiting tenant with the fewest turns, or undefined when nothing waits. */
  next(): T | undefined {
    let chosen: Tenant<T> | undefined;
    for (const tenant of this.#tenants.values()) {
      if (tenant.items.length > 0 && (chosen === undefined || tenant.turns < chosen.turns)) chosen = tenant;
    }
    if (chosen === undefined) return undefined;
    this.#floor = chosen.turns++;
    this.#size--;
    return chosen.items.shift()!;
  }

  /** Nothing waits and nothing is in hand: forget the turns counted so far. */
  reset(): void {
    if (this.#size > 0) return;
    this.#tenants.clear();
    this.#floor = 0;
  }

  /** Every item still waiting; the turns forgotten. */
  drain(): T[] {
    const items = [...this.#tenants.values()].flatMap((t) => t.items);
    this.#tenants.clear();
    this.#floor = 0;
    this.#size = 0;
    return items;
  }
}
