// A job whose input is large (its submission read on the JSON thread, its payload split there
// when the slice starts) gets the input it was submitted with, whole; resubmitted under its
// idempotency key, it is compared with the stored input like a small one.
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
});
