// V8's fatal out-of-memory report, as Node prints it on stderr when a heap runs out: the last
// garbage collections, an empty JS stack section, the FATAL ERROR line and some twenty frames of
// Node's own native stack. None of it helps a function's author, and it used most of a small log
// budget; the run's status and error already say the heap ran out. So once V8's message was seen
// in a run's stderr, the report is cut down to its FATAL ERROR line. Lines that are not part of
// the report are kept, even between its parts; a tenant that prints look-alike lines only loses
// its own lines.
import type { LogLine } from '../core/types.js';

/** Lines of the report besides FATAL ERROR (empty stderr lines inside it too). */
const REPORT_LINES = [
  /^<--- (?:Last few GCs|JS stacktrace) --->$/,
  /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: /, // one garbage collection: "[1:0x2aef72f0]  165 ms: Mark-Compact …"
  /^----- Native stack trace -----$/,
  /^\s*\d+: 0x[0-9a-f]+ .*\[[^\]]*\]$/, // one native frame: " 1: 0xb78db3 node::OOMErrorHandler(…) [/usr/bin/node]"
];
const REPORT_START = /^<--- Last few GCs --->$|^FATAL ERROR: /;

function partOfReport(line: LogLine): boolean {
  return line.level === 'stderr' && (line.msg === '' || REPORT_LINES.some((re) => re.test(line.msg)));
}

/** `lines` with V8's out-of-memory report cut to its FATAL ERROR line; as they are when there is none. */
export function withoutOomReport(lines: LogLine[]): LogLine[] {
  let start = lines.findIndex((line) => line.level === 'stderr' && REPORT_START.test(line.msg));
  if (start < 0) return lines;
  if (start > 0 && lines[start - 1]!.level === 'stderr' && lines[start - 1]!.msg === '') start--; // the blank line V8 prints first
  return lines.filter((line, i) => i < start || !partOfReport(line));
}
