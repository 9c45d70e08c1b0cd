// How the CLI prints results on stdout: one JSON value, a table with aligned columns, or lines.
// An empty table or list prints one line saying so (and how to add the first entry), never
// nothing; --json output stays plain JSON (`[]` when empty; a paged list's page, paging.ts).
import { shellWord } from '../core/shell-word.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A table under `header`, columns two spaces apart; with no rows, the `empty` line instead. */
export function printTable(header: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) return printLines([], empty);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const r of all) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
}

/** One line each; with none, the `empty` line instead. */
export function printLines(lines: string[], empty: string): void {
  for (const line of lines.length === 0 ? [empty] : lines) process.stdout.write(line + '\n');
}

/** The filter flags that were given, as typed (`--function hello --status failed`); '' when none. */
export function givenFilters(filters: Record<string, string | undefined>): string {
  return Object.entries(filters)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([flag, value]) => `--${flag} ${shellWord(value)}`)
    .join(' ');
}
