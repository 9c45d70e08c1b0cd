// A purge that walks a table group by group (a tenant's executions, a schedule's occurrences) in
// key order, so each group's old rows are one primary-key range and no time index is needed.
// One step deletes at most `max` rows and looks at most at `max` groups; the walk remembers where
// it stopped, and the next step goes on from there (a new pass once it reached the end).
import type { PurgeBatch } from '../port.js';

export class GroupWalk<K> {
  private readonly start: K;
  private readonly next: (after: K) => K | undefined;
  /** Group the next step begins with (it may hold rows still); undefined: a new pass. */
  private resumeAt: K | undefined;

  /**
   * `start` sorts before every group; `next(k)` answers the first group after k in key order, or
   * undefined after the last.
   */
  constructor(start: K, next: (after: K) => K | undefined) {
    this.start = start;
    this.next = next;
  }

  /** Call inside a transaction. `purge(group, n)` deletes up to n old rows of a group, answers how many. */
  step(max: number, purge: (group: K, max: number) => number): PurgeBatch {
    let deleted = 0;
    let visited = 0;
    let group = this.resumeAt ?? this.next(this.start);
    while (group !== undefined && visited < max) {
      visited++;
      deleted += purge(group, max - deleted);
      // A group that filled the batch may hold more: the next step begins with it again.
      if (deleted >= max) break;
      group = this.next(group);
    }
    this.resumeAt = group;
    return { deleted, more: group !== undefined };
  }
}
