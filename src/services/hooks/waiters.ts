// Waiting for a queue item to finish, for `?wait=<ms>` deliveries: the job worker reports every
// item whose run it settled (notify), and a waiter reads the item then. A waiter also re-reads
// the item when its time is up, so a run settled elsewhere (another server on the same
// database) is still seen if it finished in time.
import type { QueueItem, QueueStore } from '../../queue/port.js';
import { TERMINAL_STATUSES } from '../../queue/port.js';

export class CompletionWaiters {
  private readonly queue: QueueStore;
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(queue: QueueStore) {
    this.queue = queue;
  }

  /** Waiters now. */
  get size(): number {
    return this.waiting.size;
  }

  /** The worker settled a run of item `id` (it may have finished, or be queued again). */
  notify(id: string): void {
    const set = this.waiting.get(id);
    if (set === undefined) return;
    for (const wake of set) wake();
  }

  /**
   * Resolves with the item once it is in a final state, or with its latest state after `ms`
   * (or when `signal` aborts, e.g. the caller went away or the server stops).
   */
  async wait(tenant: string, id: string, ms: number, signal?: AbortSignal): Promise<QueueItem | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const item = await this.queue.get(tenant, id);
      if (item === undefined || TERMINAL_STATUSES.includes(item.status)) return item;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted === true) return item;
      await this.nextNotice(id, left, signal);
    }
  }

  private nextNotice(id: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiting.get(id);
      if (set === undefined) this.waiting.set(id, (set = new Set()));
      const wakers = set;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        wakers.delete(done);
        if (wakers.size === 0 && this.waiting.get(id) === wakers) this.waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      wakers.add(done);
    });
  }
}
