// Shape of one forward-only schema migration. Migrations are TS modules (not .sql files) so
// that tsc carries them into dist/ with the rest of the code.

export interface Migration {
  /** Strictly increasing, starting at 1, never reused or edited once released. */
  version: number;
  name: string;
  /** One or more SQL statements, run inside the migration transaction. */
  sql: string;
}
