// "Did you mean …?" for a mistyped command: the one known command close to what was typed (a
// typo within two edits such as `job` or `deplyo`, or the start of a name such as `sched`), and
// nothing when none is close or several are, so a suggestion is never a guess between two.
import { editDistance } from '../core/suggest.js';

/** Fewest characters typed that may be the start of a command (`se` could be server or secrets). */
const MIN_PREFIX = 2;

/** Whether `typed` is close to `name`: two edits or fewer, or its start (or `name` plus more). */
function isClose(typed: string, name: string): boolean {
  if (editDistance(typed, name) <= 2) return true;
  return typed.length >= MIN_PREFIX && (name.startsWith(typed) || typed.startsWith(name));
}

/** The one name in `names` close to `typed` (case aside), or undefined when none or several are. */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  const close = names.filter((name) => isClose(word, name));
  return close.length === 1 ? close[0] : undefined;
}
