// --since/--until values: an RFC 3339 time passes as it is, a duration is the time that long
// before now, anything else is a usage error that shows both forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/cli/args.js';
import { timeFlag } from '../../src/cli/time-flag.js';

test('a time passes as it is; a duration is that long ago; absent is undefined', () => {
  const now = Date.parse('2026-12-07T12:00:00.000Z');
  assert.equal(timeFlag('--since', undefined, now), undefined);
  assert.equal(timeFlag('--since', '2026-12-07T08:00:00Z', now), '2026-12-07T08:00:00Z');
  assert.equal(timeFlag('--since', '2026-12-07T09:00:00.250+01:00', now), '2026-12-07T09:00:00.250+01:00');
  assert.equal(timeFlag('--since', '90s', now), '2026-12-07T11:58:30.000Z');
  assert.equal(timeFlag('--since', '15m', now), '2026-12-07T11:45:00.000Z');
  assert.equal(timeFlag('--since', '2h', now), '2026-12-07T10:00:00.000Z');
  assert.equal(timeFlag('--until', '7d', now), '2026-11-30T12:00:00.000Z');
});

test('anything else is a usage error naming the flag and both forms', () => {
  for (const bad of ['yesterday', '2026-12-07', '2026-12-07T08:00:00', '1.5h', '-2h', '2w', '2026-13-45T99:00:00Z']) {
    assert.throws(
      () => timeFlag('--since', bad),
      (err: unknown) => err instanceof UsageError && err.message === `--since takes a time (RFC 3339, e.g. 2026-12-07T08:00:00Z) or how long ago (90s, 15m, 2h, 7d), got ${JSON.stringify(bad)}`,
      bad,
    );
  }
});
