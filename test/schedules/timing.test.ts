// The timing rules of schedules, without a server: interval occurrences from their anchor; cron
// occurrences in a time zone (including the daylight saving jumps); the plan of a due schedule
// fires the latest occurrence once and counts the missed ones; validation messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextAfter, planDue, validateTiming } from '../../src/schedules/timing.js';
import type { Timing } from '../../src/schedules/timing.js';
import { isAirlockError } from '../../src/core/errors.js';

const T = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function rejects(timing: Timing, pattern: RegExp, min = 10): void {
  assert.throws(
    () => validateTiming(timing, min, T('2026-01-01T00:00:00Z')),
    (err: unknown) => isAirlockError(err) && err.code === 'VALIDATION_FAILED' && pattern.test(err.message),
  );
}

describe('schedule timing', () => {
  it('places interval occurrences at anchor + k × interval, strictly after the instant asked', () => {
    const t: Timing = { everySeconds: 60, timezone: 'UTC', anchorAt: T('2026-01-01T00:00:30Z') };
    assert.equal(iso(nextAfter(t, t.anchorAt)), '2026-01-01T00:01:30.000Z');
    assert.equal(iso(nextAfter(t, T('2026-01-01T00:01:30Z'))), '2026-01-01T00:02:30.000Z');
    assert.equal(iso(nextAfter(t, T('2026-01-01T00:01:29.999Z'))), '2026-01-01T00:01:30.000Z');
  });

  it('plans a due interval schedule: the latest occurrence fires, the ones before it are missed', () => {
    const t: Timing = { everySeconds: 60, timezone: 'UTC', anchorAt: T('2026-01-01T00:00:00Z') };
    const onTime = planDue(t, T('2026-01-01T00:01:00Z'), T('2026-01-01T00:01:00Z'));
    assert.deepEqual([iso(onTime.occurrenceAt), onTime.missed, iso(onTime.nextAt)], ['2026-01-01T00:01:00.000Z', 0, '2026-01-01T00:02:00.000Z']);
    const late = planDue(t, T('2026-01-01T00:01:00Z'), T('2026-01-01T00:10:30Z'));
    assert.deepEqual([iso(late.occurrenceAt), late.missed, iso(late.nextAt)], ['2026-01-01T00:10:00.000Z', 9, '2026-01-01T00:11:00.000Z']);
  });

  it('reads cron expressions in their time zone, across daylight saving time', () => {
    const ny: Timing = { cron: '0 9 * * *', timezone: 'America/New_York', anchorAt: 0 };
    assert.equal(iso(nextAfter(ny, T('2026-03-07T15:00:00Z'))), '2026-03-08T13:00:00.000Z'); // EDT from 8 March
    assert.equal(iso(nextAfter(ny, T('2026-03-06T15:00:00Z'))), '2026-03-07T14:00:00.000Z'); // still EST
    const paris: Timing = { cron: '30 2 * * *', timezone: 'Europe/Paris', anchorAt: 0 };
    // 02:30 does not exist in Paris on 29 March 2026: the next occurrence is still a single one that day or the next.
    const next = nextAfter(paris, T('2026-03-28T12:00:00Z'))!;
    assert.ok(next > T('2026-03-28T12:00:00Z') && next <= T('2026-03-30T00:30:00Z'), iso(next));
    const utc: Timing = { cron: '*/15 * * * *', timezone: 'UTC', anchorAt: 0 };
    assert.equal(iso(nextAfter(utc, T('2026-01-01T00:15:00Z'))), '2026-01-01T00:30:00.000Z', 'strictly after');
  });

  it('plans a due cron schedule over a long outage once, counting what it missed', () => {
    const t: Timing = { cron: '0 * * * *', timezone: 'UTC', anchorAt: 0 };
    const plan = planDue(t, T('2026-01-01T01:00:00Z'), T('2026-01-03T01:30:00Z'));
    assert.deepEqual([iso(plan.occurrenceAt), plan.missed, iso(plan.nextAt)], ['2026-01-03T01:00:00.000Z', 48, '2026-01-03T02:00:00.000Z']);
  });

  it("takes the crontab shorthands, in the schedule's time zone, and no other", () => {
    const at = (cron: string, tz = 'UTC') => iso(nextAfter({ cron, timezone: tz, anchorAt: 0 }, T('2026-01-15T10:20:00Z')));
    for (const cron of ['@daily', '@DAILY', '@midnight', '@hourly', '@weekly', '@monthly', '@yearly', '@annually']) {
      validateTiming({ cron, timezone: 'UTC', anchorAt: 0 }, 10, T('2026-01-01T00:00:00Z'));
    }
    assert.equal(at('@daily'), '2026-01-16T00:00:00.000Z');
    assert.equal(at('@daily', 'Europe/Paris'), '2026-01-15T23:00:00.000Z');
    assert.equal(at('@hourly'), '2026-01-15T11:00:00.000Z');
    assert.equal(at('@weekly'), '2026-01-18T00:00:00.000Z');
    rejects({ cron: '@reboot', timezone: 'UTC', anchorAt: 0 }, /or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly/);
    rejects({ cron: '@fortnightly', timezone: 'UTC', anchorAt: 0 }, /invalid cron expression "@fortnightly"/);
  });

  it('validates timings with messages that say how to fix them', () => {
    rejects({ timezone: 'UTC', anchorAt: 0 }, /exactly one of "cron"/);
    rejects({ cron: '* * * * *', everySeconds: 60, timezone: 'UTC', anchorAt: 0 }, /exactly one of/);
    rejects({ cron: '0 25 * * *', timezone: 'UTC', anchorAt: 0 }, /invalid cron expression "0 25 \* \* \*": .+use 5 fields/);
    // Field counts other than 5 or 6 (croner would take a 7th, the year) say how many there were, once.
    rejects({ cron: '0 0 * * * * *', timezone: 'UTC', anchorAt: 0 }, /^invalid cron expression "0 0 \* \* \* \* \*": it has 7 fields; use 5 fields/);
    rejects({ cron: 'x', timezone: 'UTC', anchorAt: 0 }, /^invalid cron expression "x": it has 1 field; use 5 fields/);
    rejects({ cron: '0 25 * * *', timezone: 'UTC', anchorAt: 0 }, /[^.]; use 5 fields/);
    rejects({ cron: '0 9 * * *', timezone: 'Nowhere/City', anchorAt: 0 }, /unknown time zone "Nowhere\/City"; use an IANA name/);
    rejects({ everySeconds: 9, timezone: 'UTC', anchorAt: 0 }, /everySeconds must be a whole number >= 10/);
    rejects({ cron: '*/5 * * * * *', timezone: 'UTC', anchorAt: 0 }, /fires 5 s apart/);
    validateTiming({ cron: '*/5 * * * * *', timezone: 'UTC', anchorAt: 0 }, 5, T('2026-01-01T00:00:00Z'));
    validateTiming({ cron: '0 9 * * 1-5', timezone: 'Europe/Paris', anchorAt: 0 }, 10, T('2026-01-01T00:00:00Z'));
  });
});
