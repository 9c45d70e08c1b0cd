// One page of a list answer (executions, jobs): a byte budget that measures each item as the
// client gets it (the JSON of its view), the views kept for the answer so each is built once, and
// the `next` cursor (the last item's id when the page is full by count or cut by size).
import { jsonBytes, PageBudget } from '../core/page-budget.js';

export class ListPage<T extends { id: string }, V> {
  readonly budget: PageBudget<T>;
  private readonly limit: number;
  private readonly view: (item: T) => V;
  private readonly views = new Map<T, V>();

  constructor(bytes: number, limit: number, view: (item: T) => V) {
    this.limit = limit;
    this.view = view;
    this.budget = new PageBudget<T>(bytes, (item) => jsonBytes(this.viewOf(item)));
  }

  /** The page's items as views, and where the next page begins (null: the list ends here). */
  answer(list: readonly T[]): { items: V[]; next: string | null } {
    const full = list.length === this.limit || this.budget.spent;
    return { items: list.map((item) => this.viewOf(item)), next: list.length > 0 && full ? list[list.length - 1]!.id : null };
  }

  private viewOf(item: T): V {
    let view = this.views.get(item);
    if (view === undefined) {
      view = this.view(item);
      this.views.set(item, view);
    }
    return view;
  }
}
