// "Did you mean …?" for a mistyped command: the one known command close to what was typed (a
// typo within two edits such as `job` or `deplyo`, or the start of a name such as `sched`; of
// several, the one strictly nearest), and nothing when none is close or the nearest tie, so a
// suggestion is never a guess between two.
import { editDistance } from '../core/suggest.js';

/** Fewest characters typed that may be the start of a command (`se` could be server or secrets). */
const MIN_PREFIX = 2;

/** Whether `typed` is close to `name`: two edits or fewer, or its start (or `name` plus more). */
function isClose(typed: string, name: string): boolean {
  if (editDistance(typed, name) <= 2) return true;
  return typed.length >= MIN_PREFIX && (name.startsWith(typed) || typed.startsWith(name));
}

/**
 * The one name in `names` close to `typed` (case aside): the only close one, or else the one
 * strictly fewest edits away (`lst`: list, one edit, before get, two); undefined when none is
 * close or the nearest tie.
 */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  const close = names.filter((name) => isClose(word, name));
  if (close.length <= 1) return close[0];
  // Only a typo (two edits at most) can win over the others; starts of names (`se`) stay a tie.
  const ranked = close.map((name) => ({ name, d: editDistance(word, name) })).sort((a, b) => a.d - b.d);
  return ranked[0]!.d <= 2 && ranked[0]!.d < ranked[1]!.d ? ranked[0]!.name : undefined;
}
