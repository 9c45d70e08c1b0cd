// `airlock schedules` against a real server: set (interval and cron with a time zone, input from
// a file), get, list as a table and as JSON, runs after an occurrence fired, delete, and usage and
// API errors (a bad cron expression exits 1 with the server's reason).
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
