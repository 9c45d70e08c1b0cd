// Flags that name a point in time (--since, --until): an RFC 3339 time as the API takes it, or a
// duration back from now (`90s`, `15m`, `2h`, `7d`), turned into the time it names here, so that a
// listing's "more" command names the same time on every page.
import { UsageError } from './args.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** RFC 3339 date-time with an offset (what the API's date-time format takes). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The time `raw` names, as RFC 3339 UTC; undefined when the flag is not given. */
export function timeFlag(flag: string, raw: string | undefined, now = Date.now()): string | undefined {
  if (raw === undefined) return undefined;
  const ago = /^(\d+)([smhd])$/.exec(raw);
  if (ago !== null) return new Date(now - Number(ago[1]) * UNIT_MS[ago[2]!]!).toISOString();
  if (RFC3339.test(raw) && !Number.isNaN(Date.parse(raw))) return raw;
  throw new UsageError(
    `${flag} takes a time (RFC 3339, e.g. 2026-12-07T08:00:00Z) or how long ago (90s, 15m, 2h, 7d), got ${JSON.stringify(raw)}`,
  );
}
