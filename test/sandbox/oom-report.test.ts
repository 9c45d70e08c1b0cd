// withoutOomReport: V8's out-of-memory report in a run's logs is cut to its FATAL ERROR line;
// the function's own lines, before it and between its parts, stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogLine } from '../../src/core/types.js';
import { withoutOomReport } from '../../src/sandbox/oom-report.js';

const line = (level: LogLine['level'], msg: string): LogLine => ({ ts: 1, level, msg });

// What Node 20 prints when a heap runs out (shortened to three native frames).
const REPORT = [
  '',
  '<--- Last few GCs --->',
  '',
  '[1:0x2aef72f0]      165 ms: Mark-Compact 63.4 (96.8) -> 63.4 (96.3) MB, 8.73 / 0.00 ms  (average mu = 0.694, current mu = 0.427) allocation failure; scavenge might not succeed',
  '',
  '<--- JS stacktrace --->',
  '',
  'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
  '----- Native stack trace -----',
  '',
  ' 1: 0xb78db3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [/usr/bin/node]',
  ' 4: 0x10fb205  [/usr/bin/node]',
  '15: 0x1512628 v8::internal::Runtime_NewArray(int, unsigned long*, v8::internal::Isolate*) [/usr/bin/node]',
];

test("cuts V8's report to its FATAL ERROR line and keeps the function's own lines", () => {
  const lines = [line('info', 'loading 10,000 rows'), line('stderr', 'a warning of its own'), ...REPORT.slice(0, 9).map((m) => line('stderr', m))];
  lines.push(line('stdout', 'printed while it died'), ...REPORT.slice(9).map((m) => line('stderr', m)));
  assert.deepEqual(
    withoutOomReport(lines).map((l) => [l.level, l.msg]),
    [
      ['info', 'loading 10,000 rows'],
      ['stderr', 'a warning of its own'],
      ['stderr', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
      ['stdout', 'printed while it died'],
    ],
  );
});

test('leaves logs without a report as they are, blank lines included', () => {
  const lines = [line('stderr', ''), line('info', 'x'), line('stderr', ' 1: 0x1 looks like a frame [but no report]')];
  assert.equal(withoutOomReport(lines), lines);
});
