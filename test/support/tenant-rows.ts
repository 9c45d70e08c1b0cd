// How many rows of a tenant each table of a SQLite file holds, read straight from the file: every
// table that has a `tenant` column, found in the schema (so a table added later is checked too).
import Database from 'better-sqlite3';

/** Rows of `tenant` in every table of the file that has a tenant column. */
export function tenantRows(file: string, tenant: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const columns = db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((c) => c.name);
      if (!columns.includes('tenant')) continue;
      counts[table] = db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE tenant = ?`).get(tenant)!.n;
    }
    return counts;
  } finally {
    db.close();
  }
}
