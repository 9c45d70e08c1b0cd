// SqliteTenants: the TenantStore port on better-sqlite3, on its own connection to the shared
// database file (like the queue and the schedules). A listing merges, table by table, "the first
// tenant after X" seeks; a deletion step is one IMMEDIATE transaction with a row cap on the large
// tables, so the write lock is held briefly however large the tenant.
import type { Database as Db, Statement, Transaction } from 'better-sqlite3';
import type { TenantDeleteStep, TenantDeletedCounts, TenantStore, TenantSummary } from '../../../tenants/port.js';
import { PreparedConnection } from '../prepared-connection.js';
import {
  CANCEL_TENANT_RUNNING,
  DELETE_TENANT_EXECUTIONS,
  DELETE_TENANT_QUEUE_ITEMS,
  DELETE_TENANT_QUEUE_STATE,
  DELETE_TENANT_SCHEDULE_RUNS,
  DELETE_TENANT_SMALL,
} from '../statements/tenants/delete.js';
import { hasTenantSql, nextTenantSql, TENANT_COUNTS, TENANT_TABLES } from '../statements/tenants/list.js';
import type { TenantTable } from '../statements/tenants/list.js';

interface CountsRow {
  functions: number;
  keys: number;
  secrets: number;
  schedules: number;
  jobs: number;
  executions: number;
  backlog: number;
}

type Small = keyof typeof DELETE_TENANT_SMALL;
type Capped = { tenant: string; max: number };

function prepareAll(db: Db) {
  const perTable = <R>(sql: (t: TenantTable) => string) =>
    TENANT_TABLES.map((table) => db.prepare<[string], R>(sql(table)));
  const small = {} as Record<Small, Statement<[string]>>;
  for (const [kind, sql] of Object.entries(DELETE_TENANT_SMALL) as [Small, string][]) small[kind] = db.prepare<[string]>(sql);
  return {
    next: perTable<{ tenant: string | null }>(nextTenantSql),
    has: perTable<{ found: number }>(hasTenantSql),
    counts: db.prepare<[{ tenant: string }], CountsRow>(TENANT_COUNTS),
    cancelRunning: db.prepare<[{ tenant: string; now: number }], { id: string }>(CANCEL_TENANT_RUNNING),
    small,
    queueItems: db.prepare<[Capped]>(DELETE_TENANT_QUEUE_ITEMS),
    executions: db.prepare<[Capped]>(DELETE_TENANT_EXECUTIONS),
    scheduleRuns: db.prepare<[Capped]>(DELETE_TENANT_SCHEDULE_RUNS),
    queueState: db.prepare<[string]>(DELETE_TENANT_QUEUE_STATE),
  };
}

type Prepared = ReturnType<typeof prepareAll>;

export class SqliteTenants implements TenantStore {
  readonly file: string;
  private readonly conn: PreparedConnection<Prepared>;
  private readonly now: () => number;
  private readonly stepTx: Transaction<(tenant: string, max: number) => TenantDeleteStep>;

  /** Opens (creating if needed) the database file. Call migrate() before anything else. `now`: epoch ms. */
  constructor(file: string, busyTimeoutMs?: number, now: () => number = Date.now) {
    this.file = file;
    this.now = now;
    this.conn = new PreparedConnection(file, busyTimeoutMs, prepareAll, 'SqliteTenants used before migrate(); call await tenants.migrate() first');
    this.stepTx = this.conn.db.transaction((tenant: string, max: number) => this.step(tenant, max));
  }

  async migrate(): Promise<void> {
    this.conn.migrate();
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  async list(after: string | undefined, limit: number): Promise<TenantSummary[]> {
    const s = this.conn.stmts();
    const max = Math.max(0, Math.floor(limit));
    // A k-way merge of the tables' tenants in name order: at most `max` seeks per table.
    const heads = s.next.map((stmt) => stmt.get(after ?? '')?.tenant ?? null);
    const names: string[] = [];
    while (names.length < max) {
      let least: string | null = null;
      for (const head of heads) if (head !== null && (least === null || head < least)) least = head;
      if (least === null) break;
      names.push(least);
      for (let i = 0; i < heads.length; i++) if (heads[i] === least) heads[i] = s.next[i]!.get(least)?.tenant ?? null;
    }
    return names.map((tenant) => this.summary(tenant));
  }

  async get(tenant: string): Promise<TenantSummary | undefined> {
    return (await this.exists(tenant)) ? this.summary(tenant) : undefined;
  }

  async exists(tenant: string): Promise<boolean> {
    return this.conn.stmts().has.some((stmt) => stmt.get(tenant) !== undefined);
  }

  async deleteStep(tenant: string, maxRows: number): Promise<TenantDeleteStep> {
    return this.stepTx.immediate(tenant, Math.max(1, Math.floor(maxRows)));
  }

  private summary(tenant: string): TenantSummary {
    const row = this.conn.stmts().counts.get({ tenant })!;
    return {
      tenant,
      functions: row.functions,
      keys: row.keys,
      secrets: row.secrets,
      schedules: row.schedules,
      jobs: row.jobs === 1,
      executions: row.executions === 1,
      backlog: row.backlog,
    };
  }

  /** One deletion step; run inside stepTx's transaction. */
  private step(tenant: string, max: number): TenantDeleteStep {
    const s = this.conn.stmts();
    const stopped = s.cancelRunning.all({ tenant, now: this.now() }).map((r) => r.id);
    const gone = (kind: Small): number => s.small[kind].run(tenant).changes;
    const deleted: TenantDeletedCounts = {
      keys: gone('keys'),
      secrets: gone('secrets'),
      webhooks: gone('webhooks'),
      webhookVerifications: gone('webhookVerifications'),
      versions: gone('versions'),
      functions: gone('functions'),
      schedules: gone('schedules'),
      jobs: s.queueItems.run({ tenant, max }).changes,
      executions: s.executions.run({ tenant, max }).changes,
      scheduleRuns: s.scheduleRuns.run({ tenant, max }).changes,
      queueState: 0,
    };
    const more = deleted.jobs >= max || deleted.executions >= max || deleted.scheduleRuns >= max;
    if (deleted.jobs < max) deleted.queueState = s.queueState.run(tenant).changes;
    return { deleted, stopped, more };
  }

  /** The query plans of the listing's and the deletion's statements (tests check each uses an index). */
  explain(): string[] {
    const db = this.conn.db;
    const plan = (sql: string, ...params: unknown[]) =>
      db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r) => r.detail);
    return [
      ...TENANT_TABLES.flatMap((t) => [...plan(nextTenantSql(t), 'a'), ...plan(hasTenantSql(t), 'a')]),
      ...plan(TENANT_COUNTS, { tenant: 'a' }),
      ...plan(CANCEL_TENANT_RUNNING, { tenant: 'a', now: 0 }),
      ...plan(DELETE_TENANT_QUEUE_ITEMS, { tenant: 'a', max: 1 }),
      ...plan(DELETE_TENANT_EXECUTIONS, { tenant: 'a', max: 1 }),
      ...plan(DELETE_TENANT_SCHEDULE_RUNS, { tenant: 'a', max: 1 }),
    ];
  }
}
