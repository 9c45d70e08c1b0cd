// A job whose input is large (its submission read on the JSON thread, its payload split there
// when the slice starts) gets the input it was submitted with, whole; resubmitted under its
// idempotency key, it is compared with the stored input like a small one. A large result (its
// answer read on the JSON thread) is stored from its text, never parsed on the way.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, submit, waitJob } from './jobs-support.js';

describe('a job with a large input', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(FAST_JOBS);
    await deploy(server, 'acme', 'echo', 'export default async (input) => input');
    await deploy(server, 'acme', 'rows', "export default async ({ n }) => ({ rows: Array.from({ length: n }, (_, i) => ({ i, text: 'result row ' + i })) })");
  });
  after(async () => server.close());

  it('runs with the input it was submitted with', async () => {
    const input = { rows: Array.from({ length: 4000 }, (_, i) => ({ i, text: `row ${i} \u00e9\u{1F600} "q"`, n: i / 3 })) };
    const id = await submit(server, 'acme', 'echo', { input, idempotencyKey: 'large-1' });
    const job = await waitJob(server, 'acme', id, finished);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error ?? job.lastError));
    assert.deepEqual(job.result, input);

    const again = await server.request('POST', '/v1/tenants/acme/functions/echo/jobs', { input, idempotencyKey: 'large-1' });
    assert.deepEqual([again.status, again.body], [202, { jobId: id, created: false }]);
    const changed = structuredClone(input);
    changed.rows[3999]!.n = -1;
    const other = await server.request('POST', '/v1/tenants/acme/functions/echo/jobs', { input: changed, idempotencyKey: 'large-1' });
    assert.equal(other.status, 409, JSON.stringify(other.body));
    assert.equal(other.body.error.code, 'IDEMPOTENCY_CONFLICT');
  });

  it('stores a large result from its text: the event loop parses it only for a reader of the job', async () => {
    const n = 4000;
    const text = JSON.stringify({ rows: Array.from({ length: n }, (_, i) => ({ i, text: `result row ${i}` })) });
    assert.ok(text.length >= 64 * 1024, 'large enough for the JSON thread');
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = function (this: unknown, source: string, reviver?: (key: string, value: unknown) => unknown) {
      if (source === text) parsed++;
      return parse.call(JSON, source, reviver) as unknown;
    } as typeof JSON.parse;
    try {
      const id = await submit(server, 'acme', 'rows', { input: { n } });
      const job = await waitJob(server, 'acme', id, finished);
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error ?? job.lastError));
      assert.equal(JSON.stringify(job.result), text);
      // Only the view of the job just read parses it: not the slice's outcome, nor the
      // completion's stored row (before: three parses of the same text on the event loop).
      assert.ok(parsed <= 1, `the result text was parsed ${parsed} times on the event loop`);
    } finally {
      JSON.parse = parse;
    }
  });
});
