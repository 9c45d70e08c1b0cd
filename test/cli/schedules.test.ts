// `airlock schedules` against a real server: set (interval and cron with a time zone, input from
// a file), get, list as a table and as JSON, runs after occurrences fired (a page at a time),
// delete, and usage and API errors (a bad cron expression exits 1 with the server's reason).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { SCHEDULE_ENV, TestClock } from '../api/schedules-support.js';

describe('airlock schedules', () => {
  let server: TestServer;
  let work: string;
  let env: Record<string, string>;
  const clock = new TestClock(Date.parse('2026-01-15T00:00:00Z'));
  before(async () => {
    server = await startTestServer(SCHEDULE_ENV, { scheduleClock: clock.now });
    work = mkdtempSync(join(tmpdir(), 'airlock-cli-schedules-'));
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'echo', `export default async (input) => input;`);
  });
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('sets, gets, lists, shows runs of and deletes schedules', async () => {
    const file = join(work, 'input.json');
    writeFileSync(file, '{"since":"2026-01-01"}');
    const every = await runCli(['schedules', 'set', 'acme/sync', '--function', 'echo', '--every', '3600', '--input', `@${file}`], env);
    assert.equal(every.code, 0, every.stderr);
    const created = JSON.parse(every.stdout) as { created: boolean; nextRunAt: string; input: unknown };
    assert.deepEqual([created.created, created.nextRunAt, created.input], [true, '2026-01-15T01:00:00.000Z', { since: '2026-01-01' }]);
    const cron = await runCli(['schedules', 'set', 'acme/morning', '--function', 'echo', '--cron', '0 9 * * 1-5', '--timezone', 'Europe/Paris', '--overlap', 'allow'], env);
    assert.equal(cron.code, 0, cron.stderr);
    assert.equal((JSON.parse(cron.stdout) as { nextRunAt: string }).nextRunAt, '2026-01-15T08:00:00.000Z'); // Thursday, 09:00 CET

    const got = await runCli(['schedules', 'get', 'acme', 'morning'], env);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(
      (({ cron: c, timezone, overlap }) => [c, timezone, overlap])(JSON.parse(got.stdout) as { cron: string; timezone: string; overlap: string }),
      ['0 9 * * 1-5', 'Europe/Paris', 'allow'],
    );

    const table = await runCli(['schedules', 'list', 'acme'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+FUNCTION\s+WHEN\s+TIMEZONE\s+NEXT RUN\s+FIRED\s+SKIPPED$/);
    assert.match(lines[1]!, /^morning\s+echo\s+0 9 \* \* 1-5\s+Europe\/Paris\s+2026-01-15T08:00:00.000Z\s+0\s+0$/);
    assert.match(lines[2]!, /^sync\s+echo\s+every 3600s\s+UTC\s+2026-01-15T01:00:00.000Z\s+0\s+0$/);
    const json = await runCli(['schedules', 'list', 'acme', '--json'], env);
    assert.deepEqual((JSON.parse(json.stdout) as { name: string }[]).map((s) => s.name), ['morning', 'sync']);

    clock.set('2026-01-15T01:00:00Z');
    await server.airlock.scheduleRunner.tick();
    const runs = await runCli(['schedules', 'runs', 'acme', 'sync'], env);
    assert.equal(runs.code, 0, runs.stderr);
    const runLines = runs.stdout.trimEnd().split('\n');
    assert.match(runLines[0]!, /^OCCURRENCE\s+OUTCOME\s+JOB\s+MISSED\s+REASON$/);
    assert.match(runLines[1]!, /^2026-01-15T01:00:00.000Z\s+fired\s+qi_\S+\s+0$/);
    assert.equal(runLines.length, 2);
    assert.equal(runs.stderr, '');

    // A second occurrence, then its runs a page of one at a time: each full page ends with the
    // command for the next (on stderr), down to a page that says nothing is before it.
    clock.set('2026-01-15T02:00:00Z');
    await server.airlock.scheduleRunner.tick();
    const newest = await runCli(['schedules', 'runs', 'acme', 'sync', '--limit', '1'], env);
    assert.equal(newest.code, 0, newest.stderr);
    assert.match(newest.stdout.split('\n')[1]!, /^2026-01-15T02:00:00.000Z\s/);
    assert.equal(newest.stderr, 'more: airlock schedules runs acme sync --limit 1 --before 2026-01-15T02:00:00.000Z\n');
    const older = await runCli(['schedules', 'runs', 'acme', 'sync', '--limit', '1', '--before', '2026-01-15T02:00:00.000Z'], env);
    assert.match(older.stdout.split('\n')[1]!, /^2026-01-15T01:00:00.000Z\s/);
    assert.equal(older.stderr, 'more: airlock schedules runs acme sync --limit 1 --before 2026-01-15T01:00:00.000Z\n');
    const none = await runCli(['schedules', 'runs', 'acme', 'sync', '--limit', '1', '--before', '2026-01-15T01:00:00.000Z'], env);
    assert.deepEqual(none, { code: 0, stdout: 'no runs of schedule acme/sync before 2026-01-15T01:00:00.000Z\n', stderr: '' });
    const page = await runCli(['schedules', 'runs', 'acme', 'sync', '--limit', '1', '--json'], env);
    const { runs: pageRuns, next } = JSON.parse(page.stdout) as { runs: { occurrenceAt: string }[]; next: string | null };
    assert.deepEqual([pageRuns.map((r) => r.occurrenceAt), next], [['2026-01-15T02:00:00.000Z'], '2026-01-15T02:00:00.000Z']);

    const del = await runCli(['schedules', 'delete', 'acme', 'sync'], env);
    assert.deepEqual([del.code, del.stdout], [0, 'deleted schedule acme/sync\n']);
    const missing = await runCli(['schedules', 'get', 'acme', 'sync'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /SCHEDULE_NOT_FOUND/);
  });

  it('reports usage errors and the server reason for a bad cron expression', async () => {
    const neither = await runCli(['schedules', 'set', 'acme/x', '--function', 'echo'], env);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /give exactly one of --cron and --every/);
    const target = await runCli(['schedules', 'set', 'acme', '--function', 'echo', '--every', '60'], env);
    assert.equal(target.code, 2);
    assert.match(target.stderr, /expected <tenant>\/<schedule>/);
    const bad = await runCli(['schedules', 'set', 'acme/x', '--function', 'echo', '--cron', '0 0 32 * *'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error VALIDATION_FAILED: invalid cron expression "0 0 32 \* \*"/);
  });
});
