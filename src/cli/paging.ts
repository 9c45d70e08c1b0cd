// Lists the API answers a page at a time (executions, jobs, a schedule's runs): the query of one
// page from the flags given, and, under a table, the command that shows the next page, on stderr
// so that stdout stays the table: `more: airlock executions acme --limit 10 --before ex_…`.
// (`--json` prints the API's `next` instead.)
import { shellWord } from '../core/shell-word.js';

/** The flags of a paged list as typed (`--limit` already checked); undefined or '' when not given. */
export type PageFlags = Record<string, string | undefined>;

/** The most items one page of a list may ask for (the API's maximum `limit`). */
export const MAX_PAGE = 500;

function given(flags: PageFlags): [string, string][] {
  return Object.entries(flags).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
}

/** `path?function=…&before=…` with the flags given, or `path` when none were. */
export function pagePath(path: string, flags: PageFlags): string {
  const qs = new URLSearchParams(given(flags)).toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * After a table: when the API answered a `next` cursor, the command that lists the page after it
 * (`command` with the same flags and `--before <next>`; `--after` for a list in name order), as
 * `more: …` on stderr.
 */
export function printMore(command: string[], flags: PageFlags, next: string | null | undefined, cursor: 'before' | 'after' = 'before'): void {
  if (next === null || next === undefined) return;
  const options = given(flags).filter(([flag]) => flag !== cursor).flatMap(([flag, value]) => [`--${flag}`, value]);
  const words = ['airlock', ...command, ...options, `--${cursor}`, next];
  process.stderr.write(`more: ${words.map(shellWord).join(' ')}\n`);
}
