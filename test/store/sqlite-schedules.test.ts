// The SQLite schedule store on a real database file, with two connections as two servers would
// have: a due occurrence is claimed by one of them only and the schedule moves on; an occurrence
// already stored is never claimed again, even if a schedule's next time points back at it; the
// first settlement of an occurrence wins and counts; a pending occurrence whose claim lease ran
// out is taken over once; deleting a schedule removes its occurrences.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Schedule } from '../../src/schedules/port.js';
import { planDue } from '../../src/schedules/timing.js';
import { timingOf } from '../../src/services/schedules/service.js';
import { SqliteSchedules } from '../../src/store/sqlite/schedules/store.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const plan = (now: number) => (s: Schedule) => planDue(timingOf(s), s.nextAt ?? now, now);

describe('SqliteSchedules', () => {
  let dir: string;
  let a: SqliteSchedules;
  let b: SqliteSchedules;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-sched-store-'));
    a = new SqliteSchedules(join(dir, 'airlock.db'));
    b = new SqliteSchedules(join(dir, 'airlock.db'));
    await a.migrate();
    await b.migrate();
    await a.put({ tenant: 'acme', name: 'm', function: 'f', everySeconds: 60, timezone: 'UTC', input: { x: 1 }, overlap: 'skip', anchorAt: T0, nextAt: T0 + 60_000, updatedAt: T0 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets one of two connections claim a due occurrence, and moves the schedule on', async () => {
    const now = T0 + 60_000;
    const [fromA, fromB] = await Promise.all([a.claimDue(now, plan(now), 30_000), b.claimDue(now, plan(now), 30_000)]);
    assert.equal(fromA.length + fromB.length, 1);
    const claimed = [...fromA, ...fromB][0]!;
    assert.deepEqual([claimed.run.outcome, claimed.run.occurrenceAt, claimed.schedule.nextAt], ['pending', now, now + 60_000]);
    assert.equal((await a.get('acme', 'm'))?.nextAt, now + 60_000);
    assert.deepEqual(await b.claimDue(now, plan(now), 30_000), []);
  });

  it('never claims a stored occurrence twice, even when the schedule points back at it', async () => {
    const now = T0 + 60_000;
    assert.equal((await a.claimDue(now, plan(now), 30_000)).length, 1);
    assert.equal(await a.settle({ tenant: 'acme', schedule: 'm', occurrenceAt: now, outcome: 'fired', jobId: 'qi_1' }, now), true);
    // A replaced schedule whose next time is the same instant (a clock set back, say).
    await b.put({ tenant: 'acme', name: 'm', function: 'f', everySeconds: 60, timezone: 'UTC', input: null, overlap: 'skip', anchorAt: T0, nextAt: now, updatedAt: now });
    assert.deepEqual(await b.claimDue(now, plan(now), 30_000), []);
    const runs = await a.listRuns('acme', 'm', 10);
    assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome, r.jobId]), [[now, 'fired', 'qi_1']]);
  });

  it('keeps the first settlement of an occurrence and counts it once', async () => {
    const now = T0 + 60_000;
    await a.claimDue(now, plan(now), 30_000);
    const first = await a.settle({ tenant: 'acme', schedule: 'm', occurrenceAt: now, outcome: 'skipped', jobId: 'qi_0', reason: 'still running' }, now);
    const second = await b.settle({ tenant: 'acme', schedule: 'm', occurrenceAt: now, outcome: 'fired', jobId: 'qi_2' }, now);
    assert.deepEqual([first, second], [true, false]);
    const s = await b.get('acme', 'm');
    assert.deepEqual([s?.fired, s?.skipped, s?.lastJobId], [0, 1, undefined]);
    const [run] = await b.listRuns('acme', 'm', 10);
    assert.deepEqual([run?.outcome, run?.jobId, run?.reason], ['skipped', 'qi_0', 'still running']);
  });

  it('takes over a pending occurrence once its claim lease ran out, by one connection only', async () => {
    const now = T0 + 60_000;
    await a.claimDue(now, plan(now), 1_000); // then "dies" without settling
    assert.deepEqual(await b.claimDue(now + 999, plan(now + 999), 1_000), [], 'still leased');
    assert.equal(await b.nextDueAt(), now + 1_000, 'the lease end is when to look again');
    const later = now + 1_000;
    const [fromA, fromB] = await Promise.all([a.claimDue(later, plan(later), 1_000), b.claimDue(later, plan(later), 1_000)]);
    const taken = [...fromA, ...fromB];
    assert.equal(taken.length, 1);
    assert.deepEqual([taken[0]!.run.occurrenceAt, taken[0]!.run.outcome], [now, 'pending']);
  });

  it('removes the occurrences of a deleted schedule', async () => {
    const now = T0 + 60_000;
    await a.claimDue(now, plan(now), 30_000);
    assert.equal(await b.delete('acme', 'm'), true);
    assert.equal(await b.delete('acme', 'm'), false);
    assert.deepEqual(await a.listRuns('acme', 'm', 10), []);
    assert.equal(await a.nextDueAt(), undefined);
  });
});
