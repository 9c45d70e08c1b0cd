// Each tenant's backlog within one enqueue transaction: read once per tenant (only when there is
// a cap to check), counted up as the transaction stores items, and written back once per tenant
// at its end (one upsert per tenant and batch rather than one per item: a group commit of 256
// deliveries of one tenant pays for one). Used inside the transaction only.
import { backlogIsFull, tenantBacklogFull } from '../../../queue/backlog.js';
import type { AirlockError } from '../../../core/errors.js';
import type { Prepared } from './prepared.js';

export class BacklogTally {
  private readonly stmts: Prepared;
  private readonly limit: number;
  /** The backlog each tenant had when first read in this transaction, plus what it added since. */
  private readonly now = new Map<string, number>();
  private readonly added = new Map<string, number>();

  /** `limit`: AIRLOCK_QUEUE_TENANT_BACKLOG (0: no cap, and no backlog is read). */
  constructor(stmts: Prepared, limit: number) {
    this.stmts = stmts;
    this.limit = limit;
  }

  /** The TENANT_BACKLOG_FULL refusal when `tenant` may not add one more item; undefined when it may. */
  refusal(tenant: string): AirlockError | undefined {
    if (this.limit <= 0) return undefined;
    let backlog = this.now.get(tenant);
    if (backlog === undefined) {
      backlog = (this.stmts.backlog.get(tenant)?.n ?? 0) + (this.added.get(tenant) ?? 0);
      this.now.set(tenant, backlog);
    }
    return backlogIsFull(backlog, this.limit) ? tenantBacklogFull(tenant, backlog, this.limit) : undefined;
  }

  /** One item of `tenant` was stored (queued). */
  stored(tenant: string): void {
    this.added.set(tenant, (this.added.get(tenant) ?? 0) + 1);
    const backlog = this.now.get(tenant);
    if (backlog !== undefined) this.now.set(tenant, backlog + 1);
  }

  /** Adds what the transaction stored to each tenant's backlog row; call last in the transaction. */
  write(): void {
    for (const [tenant, n] of this.added) this.stmts.addToBacklog.run(tenant, n);
  }
}
