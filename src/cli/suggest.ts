// "Did you mean …?" for a mistyped command: the one known command close to what was typed (a
// typo within two edits such as `job` or `deplyo`, or the start of a name such as `sched`), and
// nothing when none is close or several are, so a suggestion is never a guess between two.

/** Edits (insert, delete, replace one character) between `a` and `b` (Levenshtein distance). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, replace));
    }
    previous = current;
  }
  return previous[b.length]!;
}

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
