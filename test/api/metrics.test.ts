// Metrics: the exposition names every metric, shows recorded values, and reads the pool and
// admission gauges from their callbacks at scrape time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../src/api/metrics.js';
import { WorkMetrics } from '../../src/api/work-metrics.js';
import { Admission } from '../../src/scheduler/admission.js';

function line(body: string, prefix: string): string {
  const found = body.split('\n').find((l) => l.startsWith(prefix + ' '));
  assert.ok(found !== undefined, `no line starting with ${prefix} in:\n${body}`);
  return found;
}

function value(body: string, prefix: string): number {
  return Number(line(body, prefix).slice(prefix.length + 1));
}

test('render shows every metric with the recorded values', async () => {
  const m = new Metrics();
  m.recordInvocation('succeeded', 'warm', 12);
  m.recordInvocation('succeeded', 'warm', 0.3);
  m.recordInvocation('timeout', 'spawn', 2_000);
  m.recordInvocation('rejected', null, 0);
  m.recordQueueWait(0);
  m.recordQueueWait(40);
  m.recordSandboxWait('warm', 0.01);
  m.recordSandboxWait('spawn', 60);
  m.recordRejection('admission');
  m.recordRejection('admission');
  const { contentType, body } = await m.render();
  assert.match(contentType, /^text\/plain/);

  assert.equal(value(body, 'airlock_invocations_total{status="succeeded",start="warm"}'), 2);
  assert.equal(value(body, 'airlock_invocations_total{status="timeout",start="spawn"}'), 1);
  assert.equal(value(body, 'airlock_invocations_total{status="rejected",start="none"}'), 1);
  assert.equal(value(body, 'airlock_invocations_total{status="failed",start="pool"}'), 0, 'series pre-created at 0');

  assert.equal(value(body, 'airlock_invocation_duration_seconds_bucket{le="0.0005",status="succeeded"}'), 1);
  assert.equal(value(body, 'airlock_invocation_duration_seconds_bucket{le="0.025",status="succeeded"}'), 2);
  assert.equal(value(body, 'airlock_invocation_duration_seconds_bucket{le="60",status="timeout"}'), 1);
  assert.equal(value(body, 'airlock_invocation_duration_seconds_count{status="succeeded"}'), 2);
  assert.ok(Math.abs(value(body, 'airlock_invocation_duration_seconds_sum{status="succeeded"}') - 0.0123) < 1e-9);

  assert.equal(value(body, 'airlock_queue_wait_seconds_bucket{le="0"}'), 1);
  assert.equal(value(body, 'airlock_queue_wait_seconds_bucket{le="0.05"}'), 2);
  assert.equal(value(body, 'airlock_queue_wait_seconds_count'), 2);
  assert.equal(value(body, 'airlock_sandbox_wait_seconds_bucket{le="0.0005",start="warm"}'), 1);
  assert.equal(value(body, 'airlock_sandbox_wait_seconds_bucket{le="0.05",start="spawn"}'), 0);
  assert.equal(value(body, 'airlock_sandbox_wait_seconds_bucket{le="0.1",start="spawn"}'), 1, 'the 60 ms boot');
  assert.equal(value(body, 'airlock_sandbox_wait_seconds_count{start="pool"}'), 0, 'series pre-created at 0');

  assert.equal(value(body, 'airlock_rejections_total{reason="admission"}'), 2);
  assert.match(body, /# TYPE airlock_sandboxes gauge/);
  assert.match(body, /# TYPE airlock_admission gauge/);
  assert.match(body, /^airlock_process_cpu_user_seconds_total /m, 'default process metrics, prefixed');
  assert.match(body, /^airlock_nodejs_eventloop_lag_seconds /m);
});

test('gauges reflect the callbacks at each scrape', async () => {
  const m = new Metrics({ defaultMetrics: false });
  const pool = { blank: 2, idle: 3, busy: 1, spawning: 0, queued: 2, total: 6, waiting: 4, evicted: 9, expired: 5, overworked: 3 };
  m.observePool(() => pool);
  const admission = new Admission({ globalConcurrency: 2, tenantConcurrency: 1, tenantConcurrencyOverrides: {}, maxWaitMs: 60_000, maxQueuePerTenant: 10 });
  m.observeAdmission(() => admission.stats());
  const records = { pending: 0, dropped: 0 };
  m.observeRecords(() => records);
  const held = await admission.acquire('a');
  const waiting = admission.acquire('a');

  let { body } = await m.render();
  assert.equal(value(body, 'airlock_sandboxes{state="blank"}'), 2);
  assert.equal(value(body, 'airlock_sandboxes{state="idle"}'), 3);
  assert.equal(value(body, 'airlock_sandboxes{state="busy"}'), 1);
  assert.equal(value(body, 'airlock_sandboxes{state="spawning"}'), 0);
  assert.equal(value(body, 'airlock_sandbox_queued_calls'), 2);
  assert.equal(value(body, 'airlock_sandbox_waiting_calls'), 4);
  assert.equal(value(body, 'airlock_sandbox_evictions_total{reason="budget"}'), 9);
  assert.equal(value(body, 'airlock_sandbox_evictions_total{reason="idle"}'), 5);
  assert.equal(value(body, 'airlock_sandbox_evictions_total{reason="background"}'), 3);
  assert.equal(value(body, 'airlock_admission{state="running"}'), 1);
  assert.equal(value(body, 'airlock_admission{state="waiting"}'), 1);
  assert.equal(value(body, 'airlock_records_pending'), 0);
  assert.equal(value(body, 'airlock_records_dropped_total'), 0);
  assert.doesNotMatch(body, /airlock_process_cpu/);

  pool.busy = 4;
  records.pending = 250;
  records.dropped = 7;
  held.release();
  ({ body } = await m.render());
  assert.equal(value(body, 'airlock_sandboxes{state="busy"}'), 4);
  assert.equal(value(body, 'airlock_admission{state="running"}'), 1);
  assert.equal(value(body, 'airlock_admission{state="waiting"}'), 0);
  assert.equal(value(body, 'airlock_records_pending'), 250);
  assert.equal(value(body, 'airlock_records_dropped_total'), 7);
  (await waiting).release();
});

test('a throwing callback empties its gauge and is counted; the scrape still succeeds', async () => {
  const m = new Metrics({ defaultMetrics: false });
  m.observePool(() => {
    throw new Error('pool closed');
  });
  m.observeAdmission(() => ({ running: 3, waiting: 0 }));
  const { body } = await m.render();
  assert.doesNotMatch(body, /^airlock_sandboxes\{/m);
  assert.equal(value(body, 'airlock_admission{state="running"}'), 3);
  assert.equal(value(body, 'airlock_metrics_collect_errors_total{source="pool"}'), 1);
});

test('each Metrics has its own registry', async () => {
  const a = new Metrics();
  const b = new Metrics();
  a.recordRejection('admission');
  assert.equal(value((await a.render()).body, 'airlock_rejections_total{reason="admission"}'), 1);
  assert.equal(value((await b.render()).body, 'airlock_rejections_total{reason="admission"}'), 0);
});

test('every known rejection reason has a series at 0 before the first rejection', async () => {
  const { body } = await new Metrics({ defaultMetrics: false }).render();
  assert.equal(value(body, 'airlock_rejections_total{reason="admission"}'), 0);
  assert.equal(value(body, 'airlock_rejections_total{reason="shutting_down"}'), 0);
});

test('airlock_build_info is 1 with the version and the Node.js version as labels', async () => {
  const { body } = await new Metrics({ defaultMetrics: false, version: '1.2.3' }).render();
  assert.equal(value(body, `airlock_build_info{version="1.2.3",node="${process.versions.node}"}`), 1);
});

test('histogram buckets are cumulative and end at +Inf = count', async () => {
  const m = new Metrics({ defaultMetrics: false });
  for (const ms of [0.1, 0.5, 0.7, 3, 80, 999, 61_000, -1, Number.NaN]) m.recordInvocation('failed', 'pool', ms);
  const { body } = await m.render();
  const buckets = body
    .split('\n')
    .filter((l) => l.startsWith('airlock_invocation_duration_seconds_bucket{') && l.includes('status="failed"'))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  assert.equal(buckets.length, 17, '16 bounds and +Inf');
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! >= buckets[i - 1]!);
  assert.equal(buckets[0], 4, '0.1 ms, 0.5 ms and the two invalid values (counted as 0) are <= 0.5 ms');
  assert.equal(buckets[15], 8, 'all but the 61 s one are <= 60 s');
  assert.equal(buckets[16], 9);
  assert.equal(value(body, 'airlock_invocation_duration_seconds_count{status="failed"}'), 9);
});

test('rows deleted by retention are counted per kind, every kind from 0', async () => {
  const m = new Metrics({ defaultMetrics: false });
  let { body } = await m.render();
  for (const kind of ['executions', 'jobs', 'schedule_runs']) assert.equal(value(body, `airlock_purged_rows_total{kind="${kind}"}`), 0);
  m.recordPurged('executions', 200);
  m.recordPurged('executions', 13);
  m.recordPurged('schedule_runs', 2);
  ({ body } = await m.render());
  assert.equal(value(body, 'airlock_purged_rows_total{kind="executions"}'), 213);
  assert.equal(value(body, 'airlock_purged_rows_total{kind="jobs"}'), 0);
  assert.equal(value(body, 'airlock_purged_rows_total{kind="schedule_runs"}'), 2);
});

test('background work: job runs, deliveries and egress requests counted from 0, queue counts read at each scrape', async () => {
  const m = new Metrics({ defaultMetrics: false });
  const work = new WorkMetrics();
  m.attach(work);
  let counts: { queued: number; running: number } | Error = { queued: 7, running: 2 };
  work.observeQueue(async () => {
    if (counts instanceof Error) throw counts;
    return counts;
  });
  let { body } = await m.render();
  for (const outcome of ['succeeded', 'continued', 'failed', 'stopped']) assert.equal(value(body, `airlock_job_runs_total{outcome="${outcome}"}`), 0);
  for (const outcome of ['sent', 'denied', 'limit', 'failed']) assert.equal(value(body, `airlock_egress_requests_total{outcome="${outcome}"}`), 0);
  assert.equal(value(body, 'airlock_jobs{status="queued"}'), 7);
  assert.equal(value(body, 'airlock_jobs{status="running"}'), 2);
  work.recordJobRun('continued');
  work.recordJobRun('continued');
  work.recordJobRun('succeeded');
  work.recordDelivery('stored');
  work.recordDelivery('refused');
  work.recordEgress('denied');
  work.recordJobStart('background', 3);
  work.recordJobStart('background', 90_000);
  counts = new Error('the store is down');
  ({ body } = await m.render());
  assert.equal(value(body, 'airlock_job_runs_total{outcome="continued"}'), 2);
  assert.equal(value(body, 'airlock_job_runs_total{outcome="succeeded"}'), 1);
  assert.equal(value(body, 'airlock_webhook_deliveries_total{result="stored"}'), 1);
  assert.equal(value(body, 'airlock_webhook_deliveries_total{result="refused"}'), 1);
  assert.equal(value(body, 'airlock_egress_requests_total{outcome="denied"}'), 1);
  assert.equal(value(body, 'airlock_job_queue_wait_seconds_count{lane="background"}'), 2);
  assert.equal(value(body, 'airlock_job_queue_wait_seconds_bucket{le="0.005",lane="background"}'), 1, 'the 3 ms wait');
  assert.equal(value(body, 'airlock_job_queue_wait_seconds_bucket{le="60",lane="background"}'), 1, 'the 90 s wait is above 60 s');
  assert.equal(value(body, 'airlock_job_queue_wait_seconds_sum{lane="background"}'), 90.003);
  assert.ok(!body.includes('airlock_jobs{'), 'a failing store leaves the gauge empty, and the scrape still works');
});
