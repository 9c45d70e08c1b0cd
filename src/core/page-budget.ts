// A byte bound on one page of a list (executions, jobs: items that carry results and logs of up
// to megabytes each). Items are added until their sizes reach the budget; the first item is always
// added, however large, so paging always moves on, and a page holds at most the budget plus one
// item. Stores read rows one at a time against it (takePage), so a listing never loads more.

export class PageBudget<T> {
  /** Once the items added reach this many bytes, the page is full. */
  readonly bytes: number;
  private readonly sizeOf: (item: T) => number;
  private usedBytes = 0;

  /** `sizeOf` measures an item as it will be sent (e.g. the UTF-8 length of its JSON view). */
  constructor(bytes: number, sizeOf: (item: T) => number) {
    this.bytes = bytes;
    this.sizeOf = sizeOf;
  }

  /** Counts `item` into the page; false once the page is full (no item should follow it). */
  add(item: T): boolean {
    this.usedBytes += this.sizeOf(item);
    return this.usedBytes < this.bytes;
  }

  /** Bytes of the items added so far. */
  get used(): number {
    return this.usedBytes;
  }

  /** True once the items added reach the budget: the list may go on past this page. */
  get spent(): boolean {
    return this.usedBytes >= this.bytes;
  }

  /** Forgets the items added (a page built again from other rows). */
  reset(): void {
    this.usedBytes = 0;
  }
}

/**
 * The first items of `rows`, converted, up to `limit` items and the budget (when given). Reading
 * stops as soon as the page is full: a lazy iterator (a statement's rows) is closed then, so the
 * rows after the page are never read.
 */
export function takePage<R, T>(rows: Iterable<R>, convert: (row: R) => T, limit: number, budget?: PageBudget<T>): T[] {
  const page: T[] = [];
  if (limit <= 0) return page;
  for (const row of rows) {
    const item = convert(row);
    page.push(item);
    const room = budget === undefined || budget.add(item);
    if (!room || page.length >= limit) break;
  }
  return page;
}

/** Size of a value as JSON text, in UTF-8 bytes: how a page's items are measured. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
