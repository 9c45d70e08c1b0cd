// The per-tenant backlog cap (AIRLOCK_QUEUE_TENANT_BACKLOG) over real HTTP, real SQLite and real
// bwrap sandboxes (deploys), with the job worker paused so every accepted job stays unfinished: a
// job or webhook delivery past the cap is 429 TENANT_BACKLOG_FULL with Retry-After and nothing is
// stored; another tenant is not refused; a schedule occurrence past it is skipped, recorded, logged
// and counted; the tenant view shows the backlog; cancelling frees room; the cap holds after a
// restart; 0 means no cap.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLog } from '../support/log-capture.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { submit } from './jobs-support.js';
import { SCHEDULE_ENV, TestClock, getSchedule, runsOf, putSchedule } from './schedules-support.js';

const ECHO = 'export default async (input) => input;';
const CAPPED = { ...SCHEDULE_ENV, AIRLOCK_JOBS: 'paused', AIRLOCK_QUEUE_TENANT_BACKLOG: '3' };

function assertBacklogFull(res: { status: number; body: any; headers: Headers }, tenant: string): void {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.headers.get('retry-after'), '30');
  assert.equal(res.body.error.code, 'TENANT_BACKLOG_FULL');
  assert.deepEqual([res.body.error.tenant, res.body.error.backlog, res.body.error.limit], [tenant, 3, 3]);
  assert.match(
    res.body.error.message,
    new RegExp(`^tenant ${tenant} already has 3 unfinished queue items .* AIRLOCK_QUEUE_TENANT_BACKLOG allows \\(3\\); nothing was stored\\. .*cancel jobs .* raise AIRLOCK_QUEUE_TENANT_BACKLOG`),
  );
}

describe('tenant backlog cap', () => {
  const clock = new TestClock(Date.parse('2026-01-15T00:00:00Z'));
  const log = captureLog('warn');
  let dataDir: string;
  let server: TestServer;
  let hookPath: (tenant: string) => string;

  const jobsOf = async (tenant: string): Promise<{ id: string; status: string }[]> =>
    (await server.request('GET', `/v1/tenants/${tenant}/jobs?limit=500`)).body.jobs;
  const postJob = (tenant: string) => server.request('POST', `/v1/tenants/${tenant}/functions/echo/jobs`, { input: { n: 1 } });
  const deliver = async (tenant: string) => {
    const res = await fetch(server.url + hookPath(tenant), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":"x"}' });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'airlock-backlog-'));
    server = await startTestServer({ ...CAPPED, AIRLOCK_DATA_DIR: dataDir }, { scheduleClock: clock.now }, log.logger);
    const paths = new Map<string, string>();
    for (const tenant of ['acme', 'globex']) {
      await deploy(server, tenant, 'echo', ECHO);
      paths.set(tenant, (await server.request('GET', `/v1/tenants/${tenant}/functions/echo`)).body.webhook.path);
    }
    hookPath = (tenant) => paths.get(tenant)!;
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a job past the cap is 429 TENANT_BACKLOG_FULL with Retry-After; nothing is stored; another tenant is not refused', async () => {
    for (let i = 0; i < 3; i++) await submit(server, 'acme', 'echo', { input: { n: i } });
    assertBacklogFull(await postJob('acme'), 'acme');
    assert.equal((await jobsOf('acme')).length, 3, 'nothing was stored');
    assert.equal((await postJob('globex')).status, 202, 'another tenant is not refused');
    const views = await Promise.all(['acme', 'globex'].map((t) => server.request('GET', `/v1/tenants/${t}`)));
    assert.deepEqual(views.map((v) => v.body.backlog), [3, 1], 'the tenant view shows each backlog');
  });

  it('a webhook delivery past the cap is 429 TENANT_BACKLOG_FULL with Retry-After, and nothing is stored', async () => {
    assertBacklogFull(await deliver('acme'), 'acme');
    assert.equal((await jobsOf('acme')).length, 3, 'nothing was stored');
    assert.equal((await deliver('globex')).status, 202, "another tenant's webhook is not refused");
  });

  it('a schedule occurrence past the cap is skipped: recorded with the reason, logged, counted; nothing fires', async () => {
    await putSchedule(server, 'acme', 'nightly', { function: 'echo', everySeconds: 60 });
    clock.advance(60_000);
    await server.airlock.scheduleRunner.tick();
    const [run] = await runsOf(server, 'acme', 'nightly');
    assert.equal(run?.outcome, 'skipped');
    assert.equal(run?.jobId, undefined);
    assert.match(run?.reason ?? '', /^TENANT_BACKLOG_FULL: tenant acme already has 3 unfinished queue items, the most AIRLOCK_QUEUE_TENANT_BACKLOG allows \(3\); this occurrence was skipped and is not retried, and the next one fires once there is room/);
    assert.doesNotMatch(run?.reason ?? '', /Retry-After|send it again/i, 'no advice meant for an HTTP sender');
    assert.equal((await getSchedule(server, 'acme', 'nightly')).skipped, 1);
    assert.equal((await jobsOf('acme')).length, 3, 'no job fired');
    const warned = log.lines().find((l) => l.level === 40 && /skipped a schedule occurrence/.test(l.msg));
    assert.deepEqual([warned?.tenant, warned?.schedule, warned?.backlog, warned?.limit], ['acme', 'nightly', 3, 3]);
    await server.request('DELETE', '/v1/tenants/acme/schedules/nightly');
  });

  it('counts each refusal by source in airlock_queue_refused_total, and the 429s in airlock_api_errors_total', async () => {
    const text = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminKey}` } }).then((r) => r.text());
    for (const source of ['api', 'webhook', 'schedule']) {
      assert.match(text, new RegExp(`^airlock_queue_refused_total\\{reason="backlog",source="${source}"\\} 1$`, 'm'));
    }
    assert.match(text, /^airlock_api_errors_total\{status="429",code="TENANT_BACKLOG_FULL"\} 2$/m);
  });

  it('cancelling a job frees room; the cap holds after a restart', async () => {
    const [first] = await jobsOf('acme');
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${first!.id}/cancel`)).status, 200);
    assert.equal((await deliver('acme')).status, 202, 'room again after the cancel');
    assertBacklogFull(await postJob('acme'), 'acme');
    await server.close();
    server = await startTestServer({ ...CAPPED, AIRLOCK_DATA_DIR: dataDir }, { scheduleClock: clock.now }, log.logger);
    assertBacklogFull(await postJob('acme'), 'acme');
    assertBacklogFull(await deliver('acme'), 'acme');
    const queued = (await jobsOf('acme')).filter((j) => j.status === 'queued');
    assert.equal(queued.length, 3);
    await server.request('POST', `/v1/tenants/acme/jobs/${queued[0]!.id}/cancel`);
    assert.equal((await postJob('acme')).status, 202, 'a cancel after the restart frees room too');
  });
});

describe('tenant backlog cap 0', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_JOBS: 'paused', AIRLOCK_QUEUE_TENANT_BACKLOG: '0' });
    await deploy(server, 'acme', 'echo', ECHO);
  });
  after(() => server.close());

  it('takes every submission: no cap', async () => {
    for (let i = 0; i < 5; i++) await submit(server, 'acme', 'echo', { input: { n: i } });
    assert.equal((await server.request('GET', '/v1/tenants/acme/jobs?limit=10')).body.jobs.length, 5);
  });
});
