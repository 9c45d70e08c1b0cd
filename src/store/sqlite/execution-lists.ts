// The execution listings of SqliteStore: one SQL text per filter shape (statements/
// list-executions.ts for a tenant, list-all-executions.ts across tenants), prepared on first use
// and cached, read row by row so that a page cut by its byte budget never reads (or parses) the
// rows after it; and their query plans, which tests check.
import type { Database as Db, Statement } from 'better-sqlite3';
import { takePage } from '../../core/page-budget.js';
import type { ExecutionRecord } from '../../core/types.js';
import type { AllExecutionsFilter, ExecutionFilter } from '../port.js';
import { rowToExecution } from './rows.js';
import type { ExecutionRow } from './rows.js';
import { listAllExecutionsSql, listAllShapeKey } from './statements/list-all-executions.js';
import type { AllListShape } from './statements/list-all-executions.js';
import { listExecutionsSql, listShapeKey } from './statements/list-executions.js';
import type { ListShape } from './statements/list-executions.js';

interface ListParams {
  tenant: string;
  function?: string;
  status?: string;
  job?: string;
  before?: string;
  fromId?: string;
  toId?: string;
  limit: number;
}

interface AllListParams {
  status: string;
  function?: string;
  before?: string;
  fromId?: string;
  toId?: string;
  limit: number;
}

export class ExecutionLists {
  readonly #db: Db;
  readonly #statements = new Map<string, Statement<never, ExecutionRow>>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** A tenant's executions, newest first, within the filter's limit and byte budget. */
  list(tenant: string, filter: ExecutionFilter): ExecutionRecord[] {
    const shape: ListShape = {
      function: filter.function !== undefined,
      status: filter.status !== undefined,
      job: filter.job !== undefined,
      before: filter.before !== undefined,
      from: filter.fromId !== undefined,
      to: filter.toId !== undefined,
    };
    const params: ListParams = { tenant, limit: Math.max(0, Math.floor(filter.limit)) };
    if (filter.function !== undefined) params.function = filter.function;
    if (filter.status !== undefined) params.status = filter.status;
    if (filter.job !== undefined) params.job = filter.job;
    if (filter.before !== undefined) params.before = filter.before;
    if (filter.fromId !== undefined) params.fromId = filter.fromId;
    if (filter.toId !== undefined) params.toId = filter.toId;
    const stmt = this.#statement<ListParams>(listShapeKey(shape), () => listExecutionsSql(shape));
    return takePage(stmt.iterate(params), rowToExecution, params.limit, filter.budget);
  }

  /** Every tenant's executions with one status, newest first; like list(). */
  listAll(filter: AllExecutionsFilter): ExecutionRecord[] {
    const shape: AllListShape = {
      function: filter.function !== undefined,
      before: filter.before !== undefined,
      from: filter.fromId !== undefined,
      to: filter.toId !== undefined,
    };
    const params: AllListParams = { status: filter.status, limit: Math.max(0, Math.floor(filter.limit)) };
    if (filter.function !== undefined) params.function = filter.function;
    if (filter.before !== undefined) params.before = filter.before;
    if (filter.fromId !== undefined) params.fromId = filter.fromId;
    if (filter.toId !== undefined) params.toId = filter.toId;
    const stmt = this.#statement<AllListParams>(listAllShapeKey(shape), () => listAllExecutionsSql(shape));
    return takePage(stmt.iterate(params), rowToExecution, params.limit, filter.budget);
  }

  /** Drops the prepared statements (the connection closes). */
  clear(): void {
    this.#statements.clear();
  }

  /** The query plan SQLite picks for a listing shape (tests check it uses an index). */
  explainList(shape: ListShape): string[] {
    const rows = this.#db
      .prepare<ListParams, { detail: string }>(`EXPLAIN QUERY PLAN ${listExecutionsSql(shape)}`)
      .all({ tenant: 't', function: 'f', status: 's', job: 'j', before: 'b', fromId: 'ex_0', toId: 'ex_z', limit: 1 });
    return rows.map((r) => r.detail);
  }

  /** The query plan of a listing across tenants (tests check it uses the partial index). */
  explainAllList(shape: AllListShape): string[] {
    const rows = this.#db
      .prepare<AllListParams, { detail: string }>(`EXPLAIN QUERY PLAN ${listAllExecutionsSql(shape)}`)
      .all({ status: 'failed', function: 'f', before: 'b', fromId: 'ex_0', toId: 'ex_z', limit: 1 });
    return rows.map((r) => r.detail);
  }

  /** The statement of one shape (its `key`), prepared from `sql` on first use. */
  #statement<P extends object>(key: string, sql: () => string): Statement<P, ExecutionRow> {
    let stmt = this.#statements.get(key) as Statement<P, ExecutionRow> | undefined;
    if (stmt === undefined) {
      stmt = this.#db.prepare<P, ExecutionRow>(sql());
      this.#statements.set(key, stmt as unknown as Statement<never, ExecutionRow>);
    }
    return stmt;
  }
}
