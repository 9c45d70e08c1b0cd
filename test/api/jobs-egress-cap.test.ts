// Job slices cut at their cap while a ctx.fetch is in flight: the egress broker ends the request
// at the same deadline, and the function may throw a moment before the host stops it. That must
// count as the slice cap (a continuation from the checkpoint), never as a failed attempt. Real
// server, bwrap, SQLite, and a slow paged HTTP server on 127.0.0.1; several jobs with many cuts
// each, since which of the two deadlines acts first varies from cut to cut.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, submit, waitJob } from './jobs-support.js';

const PAGES = 8;
const PAGER = `export default async (input, ctx) => {
  let state = ctx.checkpoint.get() ?? { page: 0, sum: 0 };
  while (state.page < input.pages) {
    const res = await ctx.fetch(input.url + '?page=' + state.page);
    state = { page: state.page + 1, sum: state.sum + Number(await res.text()) };
    await ctx.checkpoint.save(state);
  }
  return state;
};`;

describe('job slices capped during a ctx.fetch', () => {
  let server: TestServer;
  let api: http.Server;
  before(async () => {
    // Every page takes 200 ms: slices of 1 s are cut with a request in flight most of the time,
    // and even on a loaded machine (load average 10 on 2 CPUs) a slice gets at least one page
    // done, so no job ends NO_PROGRESS (slices of 500 ms sometimes did not).
    api = http.createServer((req, res) => {
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page'));
      setTimeout(() => res.end(String(page + 1)), 200);
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32' });
    const port = (api.address() as AddressInfo).port;
    await deploy(server, 'acme', 'pager', PAGER, { egress: { allow: [{ host: '127.0.0.1', ports: [port] }] } });
  });
  after(async () => {
    await server.close();
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
  });

  it('continues in new slices without counting failed attempts', async () => {
    const port = (api.address() as AddressInfo).port;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(server, 'acme', 'pager', { input: { url: `http://127.0.0.1:${port}/`, pages: PAGES }, maxRunMs: 1000 }));
    for (const id of ids) {
      const job = await waitJob(server, 'acme', id, finished, 60_000);
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
      assert.deepEqual(job.result, { page: PAGES, sum: (PAGES * (PAGES + 1)) / 2 });
      assert.ok(job.runs >= 2, `the job should have needed several slices: ${JSON.stringify(job)}`);
      assert.deepEqual([job.attempts, job.error], [0, undefined], JSON.stringify(job));
    }
    const list = await server.request('GET', '/v1/tenants/acme/executions?function=pager&limit=500');
    const cut = (list.body.executions as { jobId?: string; status: string; error?: { type: string } }[]).filter((e) => e.status !== 'succeeded');
    assert.ok(cut.length >= 3);
    for (const e of cut) assert.deepEqual([e.status, e.error?.type], ['timeout', 'SliceCapReached']);
  });

  it('a slice that uses up its egress requests ends there and the job continues, without a failed attempt', async () => {
    const port = (api.address() as AddressInfo).port;
    await deploy(server, 'acme', 'budgeted', PAGER, { egress: { allow: [{ host: '127.0.0.1', ports: [port] }], limits: { requests: 3 } } });
    const id = await submit(server, 'acme', 'budgeted', { input: { url: `http://127.0.0.1:${port}/`, pages: PAGES }, maxRunMs: 60_000 });
    const job = await waitJob(server, 'acme', id, finished, 60_000);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.deepEqual(job.result, { page: PAGES, sum: (PAGES * (PAGES + 1)) / 2 });
    // 3 pages a slice: 8 pages take 3 slices, and the third one returns.
    assert.deepEqual([job.runs, job.attempts, job.error], [3, 0, undefined], JSON.stringify(job));
    const list = await server.request('GET', '/v1/tenants/acme/executions?function=budgeted&limit=10');
    const runs = (list.body.executions as { status: string; error?: { type: string; message: string } }[]).reverse();
    assert.deepEqual(runs.map((e) => [e.status, e.error?.type]), [['timeout', 'SliceRequestCapReached'], ['timeout', 'SliceRequestCapReached'], ['succeeded', undefined]]);
    assert.match(runs[0]!.error!.message, /^the run used up its egress requests \(3, egress.limits.requests\); the job continues from its last checkpoint/);
    // /metrics counts the requests and the runs: 8 pages sent, 2 refused at the cap, 2 runs continued.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const count = (series: string) => Number(/^(\S+) (\S+)$/m.exec(metrics.split('\n').find((l) => l.startsWith(series + ' ')) ?? '')?.[2] ?? NaN);
    assert.ok(count('airlock_egress_requests_total{outcome="sent"}') >= PAGES, metrics);
    assert.ok(count('airlock_egress_requests_total{outcome="limit"}') >= 2, metrics);
    assert.ok(count('airlock_job_runs_total{outcome="continued"}') >= 2, metrics);
    assert.ok(count('airlock_job_runs_total{outcome="succeeded"}') >= 1, metrics);
    assert.equal(count('airlock_jobs{status="running"}'), 0);
  });
});
