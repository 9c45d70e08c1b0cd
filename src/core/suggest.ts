// "Did you mean": the known name closest to a mistyped one, by edit distance (insertions,
// deletions, substitutions and swaps of neighbours), when one is close enough to be a typo.

/** Edit distance between a and b, stopping early (returns max + 1) once it is above `max`. */
export function editDistance(a: string, b: string, max = Number.MAX_SAFE_INTEGER - 1): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `name` (case-insensitive) within `maxDistance` edits (default: a third
 * of the name's length, at least 1, at most 3), or undefined when none is that close or several tie.
 */
export function closest(name: string, candidates: Iterable<string>, maxDistance?: number): string | undefined {
  const max = maxDistance ?? Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = max + 1;
  let tie = false;
  for (const candidate of candidates) {
    const d = editDistance(wanted, candidate.toLowerCase(), max);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance && d <= max) tie = true;
  }
  return bestDistance <= max && !tie ? best : undefined;
}
