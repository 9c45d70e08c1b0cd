// Schedules across server lifetimes and servers, over real HTTP, bwrap and SQLite: a restarted
// server does not fire an occurrence again; occurrences missed while no server ran fire once on
// the next start (not once per missed tick); two servers on one database, ticking at the same
// moments, fire each occurrence once; a claim left by a server that died before it submitted the
// job is taken over, and still yields one job.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../src/store/index.js';
import { deploy } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { TestClock, getSchedule, putSchedule, runsOf, scheduledJobs, startOn } from './schedules-support.js';
import type { Handle } from './schedules-support.js';

const ECHO = `export default async (input) => ({ got: input });`;

/** deploy() wants a TestServer; it only uses request(). */
const asServer = (h: Handle) => h as unknown as TestServer;

describe('schedules across restarts and servers', () => {
  let dataDir: string;
  let open: Handle[] = [];
  const clock = new TestClock(Date.parse('2026-03-01T00:00:00Z'));
  const start = async (env: Record<string, string> = {}): Promise<Handle> => {
    const h = await startOn(dataDir, clock, env);
    open.push(h);
    return h;
  };
  const stop = async (h: Handle): Promise<void> => {
    open = open.filter((o) => o !== h);
    await h.airlock.stop();
  };
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-sched-'));
    clock.set('2026-03-01T00:00:00Z');
  });
  afterEach(async () => {
    for (const h of open) await h.airlock.stop();
    open = [];
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('does not fire an occurrence again after a restart', async () => {
    const a = await start();
    await deploy(asServer(a), 'acme', 'echo', ECHO);
    await putSchedule(a, 'acme', 'hourly', { function: 'echo', everySeconds: 3600 });
    clock.advance(3600_000);
    await a.airlock.scheduleRunner.tick();
    assert.deepEqual((await runsOf(a, 'acme', 'hourly')).map((r) => r.outcome), ['fired']);
    await stop(a);
    const b = await start(); // its runner ticks on start, at the same time
    await b.airlock.scheduleRunner.tick();
    await b.airlock.scheduleRunner.tick();
    assert.equal((await runsOf(b, 'acme', 'hourly')).length, 1);
    assert.equal((await scheduledJobs(b, 'acme', 'echo', 'hourly')).length, 1);
    assert.equal((await getSchedule(b, 'acme', 'hourly')).fired, 1);
  });

  it('fires occurrences missed while no server ran once, on start', async () => {
    const a = await start();
    await deploy(asServer(a), 'acme', 'echo', ECHO);
    await putSchedule(a, 'acme', 'tenmin', { function: 'echo', everySeconds: 600, input: { n: 1 } });
    const t0 = clock.ms;
    await stop(a);
    clock.ms = t0 + 5 * 600_000 + 42_000; // five occurrences pass while no server runs
    const b = await start();
    await b.airlock.scheduleRunner.tick(); // runs after the tick the runner made on start
    await b.airlock.scheduleRunner.tick();
    const runs = await runsOf(b, 'acme', 'tenmin');
    assert.equal(runs.length, 1, JSON.stringify(runs));
    assert.deepEqual([runs[0]!.outcome, runs[0]!.occurrenceAt, runs[0]!.missed], ['fired', new Date(t0 + 5 * 600_000).toISOString(), 4]);
    assert.equal((await scheduledJobs(b, 'acme', 'echo', 'tenmin')).length, 1);
    assert.equal((await getSchedule(b, 'acme', 'tenmin')).nextRunAt, new Date(t0 + 6 * 600_000).toISOString());
  });

  it('a restored copy started with AIRLOCK_SCHEDULES=paused fires nothing; a start without it fires what came due once', async () => {
    const a = await start();
    await deploy(asServer(a), 'acme', 'echo', ECHO);
    await putSchedule(a, 'acme', 'tenmin', { function: 'echo', everySeconds: 600 });
    const t0 = clock.ms;
    // The documented backup of a running server (README, Backup and restore): VACUUM INTO, plus
    // the key files copied apart.
    const restored = mkdtempSync(join(tmpdir(), 'airlock-restored-'));
    try {
      const live = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
      live.exec(`VACUUM INTO '${join(restored, SQLITE_FILE)}'`);
      live.close();
      for (const file of ['secret.key', 'admin.key']) copyFileSync(join(dataDir, file), join(restored, file));
      clock.ms = t0 + 3 * 600_000 + 42_000; // three occurrences come due
      const copy = await startOn(restored, clock, { AIRLOCK_SCHEDULES: 'paused' });
      try {
        await copy.airlock.scheduleRunner.tick();
        assert.deepEqual(await runsOf(copy, 'acme', 'tenmin'), [], 'nothing fired on the paused copy');
        assert.deepEqual(await scheduledJobs(copy, 'acme', 'echo', 'tenmin'), []);
        assert.equal((await getSchedule(copy, 'acme', 'tenmin')).fired, 0, 'the restored schedule is there');
        // Schedules can still be changed while paused.
        await putSchedule(copy, 'acme', 'hourly', { function: 'echo', everySeconds: 3600 });
      } finally {
        await copy.airlock.stop();
      }
      const resumed = await startOn(restored, clock);
      try {
        await resumed.airlock.scheduleRunner.tick();
        const runs = await runsOf(resumed, 'acme', 'tenmin');
        assert.deepEqual(runs.map((r) => [r.outcome, r.occurrenceAt, r.missed]), [['fired', new Date(t0 + 3 * 600_000).toISOString(), 2]]);
      } finally {
        await resumed.airlock.stop();
      }
    } finally {
      rmSync(restored, { recursive: true, force: true });
    }
  });

  it('fires a missed cron occurrence once, on start', async () => {
    const a = await start();
    await deploy(asServer(a), 'acme', 'echo', ECHO);
    await putSchedule(a, 'acme', 'quarter', { function: 'echo', cron: '*/15 * * * *' });
    await stop(a);
    clock.set('2026-03-01T02:07:00Z'); // 00:15 … 02:00 missed: 8 occurrences
    const b = await start();
    // No explicit tick: the runner acts on start by itself (its next poll is an hour away).
    const deadline = Date.now() + 10_000;
    while ((await runsOf(b, 'acme', 'quarter')).some((r) => r.outcome === 'pending') || (await runsOf(b, 'acme', 'quarter')).length === 0) {
      assert.ok(Date.now() < deadline, 'the missed occurrence did not fire on start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const runs = await runsOf(b, 'acme', 'quarter');
    assert.deepEqual(runs.map((r) => [r.outcome, r.occurrenceAt, r.missed]), [['fired', '2026-03-01T02:00:00.000Z', 7]]);
    assert.equal((await getSchedule(b, 'acme', 'quarter')).nextRunAt, '2026-03-01T02:15:00.000Z');
  });

  it('fires each occurrence once with two servers on one database', async () => {
    const a = await start();
    const b = await start();
    await deploy(asServer(a), 'acme', 'echo', ECHO);
    // overlap "allow": every occurrence fires even while the previous job still runs, so a double fire would show.
    await putSchedule(a, 'acme', 'shared', { function: 'echo', everySeconds: 60, overlap: 'allow' });
    const t0 = clock.ms;
    for (let i = 1; i <= 5; i++) {
      clock.ms = t0 + i * 60_000;
      await Promise.all([a.airlock.scheduleRunner.tick(), b.airlock.scheduleRunner.tick(), a.airlock.scheduleRunner.tick(), b.airlock.scheduleRunner.tick()]);
    }
    const runs = await runsOf(b, 'acme', 'shared');
    assert.deepEqual(runs.map((r) => r.outcome), ['fired', 'fired', 'fired', 'fired', 'fired']);
    const jobs = await scheduledJobs(a, 'acme', 'echo', 'shared');
    assert.equal(jobs.length, 5, JSON.stringify(jobs));
    assert.equal(new Set(jobs.map((j) => j.idempotencyKey)).size, 5);
    assert.equal((await getSchedule(a, 'acme', 'shared')).fired, 5);
  });

  it('takes over an occurrence whose server died between the claim and the job, and fires it once', async () => {
    const a = await start({ AIRLOCK_SCHEDULE_CLAIM_LEASE_MS: '1000' });
    await deploy(asServer(a), 'acme', 'echo', ECHO);
    await putSchedule(a, 'acme', 'orphan', { function: 'echo', everySeconds: 60 });
    const t1 = clock.ms + 60_000;
    // The dead server even got as far as submitting the job, but not as far as recording it.
    const early = await a.request('POST', '/v1/tenants/acme/functions/echo/jobs', { idempotencyKey: `schedule:orphan:${new Date(t1).toISOString()}` });
    assert.equal(early.status, 202);
    await stop(a);
    // What a server that died right after its claim leaves behind: a pending occurrence, the
    // schedule moved on. Written straight into the database.
    const db = new Database(join(dataDir, SQLITE_FILE));
    try {
      db.prepare(`UPDATE schedules SET next_at = ? WHERE tenant = 'acme' AND name = 'orphan'`).run(t1 + 60_000);
      db.prepare(
        `INSERT INTO schedule_runs (tenant, schedule, occurrence_at, outcome, missed, lease_until, created_at, updated_at)
         VALUES ('acme', 'orphan', ?, 'pending', 0, ?, ?, ?)`,
      ).run(t1, t1 + 1000, t1, t1);
    } finally {
      db.close();
    }
    clock.ms = t1 + 500; // the dead server's claim is still leased
    const b = await start({ AIRLOCK_SCHEDULE_CLAIM_LEASE_MS: '1000' });
    await b.airlock.scheduleRunner.tick();
    assert.deepEqual((await runsOf(b, 'acme', 'orphan')).map((r) => r.outcome), ['pending']);
    clock.ms = t1 + 1000; // lease over
    await b.airlock.scheduleRunner.tick();
    await b.airlock.scheduleRunner.tick();
    const runs = await runsOf(b, 'acme', 'orphan');
    assert.deepEqual(runs.map((r) => [r.outcome, r.occurrenceAt]), [['fired', new Date(t1).toISOString()]]);
    assert.equal(runs[0]!.jobId, early.body.jobId, 'the occurrence is linked to the job already submitted');
    assert.equal((await scheduledJobs(b, 'acme', 'echo', 'orphan')).length, 1);
  });
});
