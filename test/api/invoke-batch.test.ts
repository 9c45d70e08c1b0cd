// POST …/invoke-batch against a real server and the real sandbox: one answer per input in input
// order, each its own execution record, all on one version even when a deploy lands meanwhile;
// a bad input refuses the whole batch naming its index with nothing run; the number of inputs is
// bounded; a tenant key reaches only its tenant; an input admission refuses is answered rejected
// in its place, the answer then carrying Retry-After; a large batch body is read off the event loop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { waitFor } from '../sandbox/support.js';

const DOUBLE = "export default async (x) => { if (x === 'boom') throw new Error('boom'); return x * 2; };";
/** Answers its version's tag after `ms` of sleep (the batch's pace). */
const tagged = (tag: string): string =>
  `export default async (input) => { await new Promise((r) => setTimeout(r, input.ms)); return '${tag}'; };`;

function batch(server: TestServer, tenant: string, name: string, body: unknown, key?: string) {
  return server.request('POST', `/v1/tenants/${tenant}/functions/${name}/invoke-batch`, body, key);
}

async function executionCount(server: TestServer, tenant: string, fn: string): Promise<number> {
  return (await server.request('GET', `/v1/tenants/${tenant}/executions?function=${fn}`)).body.executions.length;
}

describe('invoke-batch', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_MAX_BATCH_INPUTS: '12', AIRLOCK_TENANT_CONCURRENCY: '2', AIRLOCK_QUEUE_WAIT_MS: '200' });
    await deploy(server, 'acme', 'double', DOUBLE);
  });
  after(() => server.close());

  it('answers large results whole and in order, beside small ones and failures', async () => {
    await deploy(server, 'acme', 'sized', "export default async (n) => { if (n === 'boom') throw new Error('boom'); return { n, text: 'é'.repeat(n) }; };");
    const res = await batch(server, 'acme', 'sized', { inputs: [30000, 3, 'boom', 20000] });
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const { results } = res.body;
    assert.deepEqual(results.map((r: { status: string }) => r.status), ['succeeded', 'succeeded', 'failed', 'succeeded']);
    assert.deepEqual(results.map((r: { result?: unknown }) => r.result), [
      { n: 30000, text: 'é'.repeat(30000) }, { n: 3, text: 'ééé' }, undefined, { n: 20000, text: 'é'.repeat(20000) },
    ]);
    assert.equal(results[2].error.message, 'boom');
    assert.equal(res.headers.get('retry-after'), null, 'no input was refused: no Retry-After');
    assert.deepEqual(Object.keys(results[0]).sort(), ['durationMs', 'executionId', 'logs', 'result', 'start', 'status']);
  });

  it('answers every input in order, each its own execution, failures in place', async () => {
    const res = await batch(server, 'acme', 'double', { inputs: [1, 2, 'boom', 4, 5] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { version, results } = res.body;
    assert.deepEqual(results.map((r: { status: string }) => r.status), ['succeeded', 'succeeded', 'failed', 'succeeded', 'succeeded']);
    assert.deepEqual(results.map((r: { result?: unknown }) => r.result), [2, 4, undefined, 8, 10]);
    assert.equal(results[2].error.message, 'boom');
    const ids = results.map((r: { executionId: string }) => r.executionId);
    assert.equal(new Set(ids).size, 5);
    for (const [i, id] of ids.entries()) {
      const record = (await server.request('GET', `/v1/tenants/acme/executions/${id}`)).body;
      assert.equal(record.status, results[i].status);
      assert.equal(record.version, version);
    }
  });

  it('runs every input on the version that was the latest when the batch began, even if a deploy lands meanwhile', async () => {
    const v1 = await deploy(server, 'acme', 'tagged', tagged('v1'));
    const inputs = Array.from({ length: 8 }, () => ({ ms: 300 })); // 2 at a time: about 1.2 s
    let answered = false;
    const running = batch(server, 'acme', 'tagged', { inputs }).then((r) => {
      answered = true;
      return r;
    });
    await waitFor('the first input to be recorded', async () => (await executionCount(server, 'acme', 'tagged')) >= 1);
    const v2 = await deploy(server, 'acme', 'tagged', tagged('v2'));
    assert.notEqual(v2, v1);
    assert.equal(answered, false, 'the deploy landed while the batch was still running');
    const res = await running;
    assert.equal(res.body.version, v1);
    assert.deepEqual(new Set(res.body.results.map((r: { result: string }) => r.result)), new Set(['v1']));
  });

  it('refuses a batch with a bad input, naming it, and runs none of it', async () => {
    await deploy(server, 'acme', 'small', DOUBLE, { limits: { inputBytes: 64 } });
    const tooLarge = await batch(server, 'acme', 'small', { inputs: [1, 'x'.repeat(100), 3] });
    assert.equal(tooLarge.status, 413, JSON.stringify(tooLarge.body));
    assert.equal(tooLarge.body.error.code, 'INPUT_TOO_LARGE');
    assert.match(tooLarge.body.error.message, /^inputs\[1\]: input is 102 bytes .*; nothing in the batch was run$/);
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    const tooDeep = await batch(server, 'acme', 'double', { inputs: [1, 2, deep] });
    assert.equal(tooDeep.body.error.code, 'INPUT_TOO_DEEP', JSON.stringify(tooDeep.body));
    assert.match(tooDeep.body.error.message, /^inputs\[2\]: /);
    assert.equal(await executionCount(server, 'acme', 'small'), 0);
  });

  it('takes 1 to AIRLOCK_MAX_BATCH_INPUTS inputs', async () => {
    for (const inputs of [[], Array.from({ length: 13 }, (_, i) => i)]) {
      const res = await batch(server, 'acme', 'double', { inputs });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, /inputs/);
    }
    assert.equal((await batch(server, 'acme', 'double', { inputs: Array.from({ length: 12 }, (_, i) => i) })).body.results.length, 12);
    assert.equal((await batch(server, 'acme', 'double', { input: 1 })).status, 400, 'an invoke body is not a batch');
  });

  it('starts no further input once the client has gone', async () => {
    await deploy(server, 'acme', 'paced', tagged('paced'));
    const abort = new AbortController();
    const sent = fetch(`${server.url}/v1/tenants/acme/functions/paced/invoke-batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: Array.from({ length: 12 }, () => ({ ms: 250 })) }), // 2 at a time: about 1.5 s
      signal: abort.signal,
    }).catch((err: unknown) => err);
    await waitFor('the first inputs to be recorded', async () => (await executionCount(server, 'acme', 'paced')) >= 1);
    abort.abort();
    assert.ok((await sent) instanceof Error, 'the request was aborted');
    // The inputs running when the client left finish; no other starts. Wait until the count holds
    // still across a whole input's time, then check it.
    let count = await executionCount(server, 'acme', 'paced');
    for (let settled = 0; settled < 3; ) {
      await new Promise((resolve) => setTimeout(resolve, 300)); // a poll's pace
      const now = await executionCount(server, 'acme', 'paced');
      settled = now === count ? settled + 1 : 0;
      count = now;
    }
    assert.ok(count <= 6, `${count} of 12 inputs ran after the client left early`);
  });

  it('fails with FUNCTION_NOT_FOUND once its function is deleted under it, without hanging or running on', async () => {
    await deploy(server, 'acme', 'doomed', tagged('doomed'));
    const running = batch(server, 'acme', 'doomed', { inputs: Array.from({ length: 12 }, () => ({ ms: 250 })) }); // about 1.5 s
    await waitFor('the first input to be recorded', async () => (await executionCount(server, 'acme', 'doomed')) >= 1);
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/doomed')).status, 204);
    const res = await running;
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'FUNCTION_NOT_FOUND');
    assert.match(res.body.error.message, /doomed/);
    const ran = await executionCount(server, 'acme', 'doomed');
    assert.ok(ran < 12, `${ran} of 12 inputs ran although the function was deleted after the first`);
  });

  it("is refused to another tenant's key", async () => {
    const key = (await server.request('POST', '/v1/tenants/globex/keys')).body.key;
    const res = await batch(server, 'acme', 'double', { inputs: [1] }, key);
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'FORBIDDEN');
  });

  it('answers an input admission refuses as rejected, in its place, with its record', async () => {
    await deploy(server, 'acme', 'slow', tagged('slow'));
    // Both of the tenant's slots are held for a second: the batch's inputs wait 200 ms and are refused.
    const holders = [batch(server, 'acme', 'slow', { inputs: [{ ms: 1_500 }, { ms: 1_500 }] })];
    await waitFor('both slots taken', async () => /^airlock_admission\{state="running"\} 2$/m.test(await (await fetch(`${server.url}/metrics`)).text()));
    const res = await batch(server, 'acme', 'double', { inputs: [1, 2, 3] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // The refusals' message points at Retry-After: the batch answer carries it (1 s for a 200 ms wait).
    assert.equal(res.headers.get('retry-after'), '1');
    for (const item of res.body.results) {
      assert.equal(item.status, 'rejected');
      assert.match(item.error.message, /Retry-After/);
      assert.equal(item.error.type, 'TOO_MANY_REQUESTS');
      const record = (await server.request('GET', `/v1/tenants/acme/executions/${item.executionId}`)).body;
      assert.equal(record.status, 'rejected');
    }
    assert.deepEqual((await holders[0]!).body.results.map((r: { status: string }) => r.status), ['succeeded', 'succeeded']);
  });

  it('reads a large batch body off the event loop, with the same checks', async () => {
    const before = await offThreadBodies(server);
    const inputs = Array.from({ length: 12 }, (_, i) => ({ i, pad: 'y'.repeat(8 * 1024) })); // ~100 KiB
    await deploy(server, 'acme', 'count', 'export default async (x) => x.i + x.pad.length;');
    const res = await batch(server, 'acme', 'count', { inputs });
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
    assert.deepEqual(res.body.results.map((r: { result: number }) => r.result), inputs.map((x) => x.i + 8 * 1024));
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    const refused = await batch(server, 'acme', 'count', { inputs: [...inputs.slice(0, 11), deep] });
    assert.equal(refused.body.error.code, 'INPUT_TOO_DEEP');
    assert.match(refused.body.error.message, /^inputs\[11\]: /);
    assert.equal(await offThreadBodies(server), before + 2);
  });
});

async function offThreadBodies(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^airlock_request_bodies_parsed_off_thread_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}

describe('invoke-batch, many inputs waiting for slots', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_TENANT_CONCURRENCY: '12', AIRLOCK_CONCURRENCY: '12', AIRLOCK_QUEUE_WAIT_MS: '20000' });
    await deploy(server, 'acme', 'slow', tagged('slow'));
  });
  after(() => server.close());

  it('waits for them all on one signal without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const holder = batch(server, 'acme', 'slow', { inputs: Array.from({ length: 12 }, () => ({ ms: 800 })) });
      await waitFor('all 12 slots taken', async () => /^airlock_admission\{state="running"\} 12$/m.test(await (await fetch(`${server.url}/metrics`)).text()));
      const waiting = await batch(server, 'acme', 'slow', { inputs: Array.from({ length: 12 }, () => ({ ms: 0 })) });
      assert.deepEqual(new Set(waiting.body.results.map((r: { status: string }) => r.status)), new Set(['succeeded']));
      assert.equal((await holder).status, 200);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('invoke-batch, results held until the batch is answered', () => {
  let server: TestServer;
  const RESULT_CHARS = 100_000;
  const BUDGET = 250_000;
  before(async () => {
    server = await startTestServer({ AIRLOCK_BATCH_RESULT_BYTES: String(BUDGET), AIRLOCK_TENANT_CONCURRENCY: '2' });
    await deploy(server, 'acme', 'big', `export default async () => 'x'.repeat(${RESULT_CHARS});`);
    await deploy(server, 'other', 'big', `export default async () => 'x'.repeat(${RESULT_CHARS});`);
  });
  after(() => server.close());

  it("starts no further input once the tenant's batches hold AIRLOCK_BATCH_RESULT_BYTES, and gives it back", async () => {
    // Each finished answer stays in the server's memory until the whole batch is answered.
    const res = await batch(server, 'acme', 'big', { inputs: Array.from({ length: 10 }, () => null) });
    assert.equal(res.status, 200);
    const statuses = res.body.results.map((r: { status: string }) => r.status);
    const ran = statuses.filter((s: string) => s === 'succeeded').length;
    // Three answers reach the budget; at most two more (the tenant's concurrency) were running then.
    assert.ok(ran >= 1 && ran * RESULT_CHARS <= BUDGET + 2 * RESULT_CHARS, `ran ${ran}: ${statuses.join(',')}`);
    const refused = res.body.results.filter((r: { status: string }) => r.status === 'rejected');
    assert.equal(refused.length, 10 - ran);
    for (const item of refused) {
      assert.equal(item.error.type, 'BATCH_RESULTS_FULL');
      assert.match(item.error.message, /AIRLOCK_BATCH_RESULT_BYTES/);
      // Recorded like any refused call: the id reads back a rejected execution that never started.
      assert.match(item.executionId, /^ex_/);
      const record = await server.request('GET', `/v1/tenants/acme/executions/${item.executionId}`);
      assert.equal(record.status, 200, JSON.stringify(record.body));
      assert.deepEqual(
        { status: record.body.status, start: record.body.start, startedAt: record.body.startedAt, type: record.body.error?.type },
        { status: 'rejected', start: null, startedAt: null, type: 'BatchResultsFull' },
      );
    }
    assert.equal(await executionCount(server, 'acme', 'big'), 10, 'every input has a record, run or refused');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`airlock_rejections_total\\{reason="batch_results"\\} ${10 - ran}\\b`));
    // Answered, the batch holds nothing: the next one runs, as another tenant's always could.
    const again = await batch(server, 'acme', 'big', { inputs: [null, null] });
    assert.deepEqual(again.body.results.map((r: { status: string }) => r.status), ['succeeded', 'succeeded']);
    const other = await batch(server, 'other', 'big', { inputs: [null, null] });
    assert.deepEqual(other.body.results.map((r: { status: string }) => r.status), ['succeeded', 'succeeded']);
  });
});
