// Invocation over HTTP: response contract, start kinds, limits as statuses or 4xx, records
// readable by id and by filter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { waitFor } from '../sandbox/support.js';

describe('invoke API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '2' });
    await server.airlock.pool.warmUp();
  });
  after(async () => server.close());

  it('answers with the execution contract and records it', async () => {
    const version = await deploy(server, 'acme', 'echo', 'export default async (input, ctx) => { ctx.log.info("got", input.n); console.log("plain"); return { n: input.n, tenant: ctx.tenant, fn: ctx.function, id: ctx.executionId }; }');
    const res = await invoke(server, 'acme', 'echo', { n: 7 });
    assert.equal(res.status, 200);
    const body = res.body;
    assert.equal(body.status, 'succeeded');
    assert.deepEqual(body.result, { n: 7, tenant: 'acme', fn: 'echo', id: body.executionId });
    assert.match(body.executionId, /^ex_/);
    assert.ok(['pool', 'spawn'].includes(body.start), `first call start kind ${body.start}`);
    assert.equal(typeof body.durationMs, 'number');
    assert.equal(body.version, version, 'the answer names the version that ran');
    const messages = body.logs.map((l: { msg: string }) => l.msg).join('\n');
    assert.match(messages, /got 7/);
    assert.match(messages, /plain/);

    const second = await invoke(server, 'acme', 'echo', { n: 8 });
    assert.equal(second.body.start, 'warm');

    const rec = await server.request('GET', `/v1/tenants/acme/executions/${body.executionId}`);
    assert.equal(rec.status, 200);
    assert.equal(rec.body.status, 'succeeded');
    assert.equal(rec.body.function, 'echo');
    assert.equal(rec.body.isolation, 'bwrap');
    assert.ok(rec.body.layers.includes('namespaces'), 'the record lists the layers in force');
    assert.deepEqual(rec.body.layers, server.airlock.layers);
    assert.deepEqual(rec.body.result, body.result);
    assert.ok(rec.body.queuedAt <= rec.body.finishedAt);
  });

  it('turns a thrown error into status failed with a trimmed stack', async () => {
    await deploy(server, 'acme', 'thrower', 'function inner() { throw new TypeError("bad thing") }\nexport default () => inner();\n');
    const res = await invoke(server, 'acme', 'thrower', null);
    assert.equal(res.body.status, 'failed');
    assert.equal(res.body.error.type, 'TypeError');
    assert.equal(res.body.error.message, 'bad thing');
    assert.match(res.body.error.stack, /thrower/);
    assert.doesNotMatch(res.body.error.stack, /node:internal|harness/);
  });

  it('ends a busy loop as timeout and keeps serving', async () => {
    await deploy(server, 'acme', 'spin', 'export default () => { for (;;) {} }', { limits: { timeoutMs: 300 } });
    const res = await invoke(server, 'acme', 'spin', null);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'timeout');
    assert.match(res.body.error.message, /or raise limits\.timeoutMs when deploying the function \(airlock deploy --timeout-ms N; up to the operator maximum\)$/);
    const ok = await invoke(server, 'acme', 'echo', { n: 1 });
    assert.equal(ok.body.status, 'succeeded');
  });

  it('rejects an input above the function limit with 413 before running', async () => {
    await deploy(server, 'acme', 'small', 'export default (i) => i', { limits: { inputBytes: 100 } });
    const res = await invoke(server, 'acme', 'small', { s: 'x'.repeat(200) });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'INPUT_TOO_LARGE');
  });

  it('rejects a body above the server maximum with 413', async () => {
    const res = await invoke(server, 'acme', 'echo', { s: 'x'.repeat(12 * 1024 * 1024) });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'INPUT_TOO_LARGE');
  });

  it('rejects a deeply nested input with 400', async () => {
    const deep = '{"input":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    const res = await server.request('POST', '/v1/tenants/acme/functions/echo/invoke', deep);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'INPUT_TOO_DEEP');
  });

  it('fails a result above the limit cleanly', async () => {
    await deploy(server, 'acme', 'bigresult', 'export default () => "y".repeat(2048)', { limits: { resultBytes: 1024 } });
    const res = await invoke(server, 'acme', 'bigresult', null);
    assert.equal(res.body.status, 'failed');
    assert.equal(res.body.error.type, 'ResultTooLarge');
    assert.equal(res.body.result, undefined);
    // The message names the CLI flag that raises the limit, as the logs truncation line does.
    assert.match(res.body.error.message, /raise limits\.resultBytes when deploying the function \(airlock deploy --result-bytes N; up to the operator maximum\)$/);
  });

  it('answers a large result whole, as JSON, with every field of the contract, and records it alike', async () => {
    // 40 KiB and more of JSON: answered from the result's text made once, not serialized again.
    const version = await deploy(server, 'acme', 'large', 'export default async (n) => { console.log("made", n); return { rows: Array.from({ length: n }, (_, i) => ({ i, text: "row " + i + " \\u00e9\\"\\n" })) }; }');
    const res = await invoke(server, 'acme', 'large', 2000);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ i, text: `row ${i} \u00e9"\n` }));
    const { executionId, status, result, logs, durationMs, start, version: ran, ...rest } = res.body;
    assert.deepEqual({ status, result, version: ran }, { status: 'succeeded', result: { rows }, version });
    assert.match(executionId, /^ex_/);
    assert.equal(typeof durationMs, 'number');
    assert.ok(['warm', 'pool', 'spawn'].includes(start));
    assert.deepEqual(logs.map((l: { msg: string }) => l.msg), ['made 2000']);
    assert.deepEqual(rest, {}, 'nothing beyond the contract');
    await waitFor("the record", async () => (await server.request("GET", `/v1/tenants/acme/executions/${executionId}`)).status === 200);
    const stored = await server.request('GET', `/v1/tenants/acme/executions/${executionId}`);
    assert.deepEqual(stored.body.result, { rows });
  });

  it('filters and pages executions', async () => {
    await deploy(server, 'pager', 'p', 'export default (i) => { if (i.fail) throw new Error("x"); return i.n }');
    for (let n = 0; n < 5; n++) await invoke(server, 'pager', 'p', { n, fail: n === 2 });
    const failed = await server.request('GET', '/v1/tenants/pager/executions?status=failed');
    assert.equal(failed.body.executions.length, 1);
    const page1 = await server.request('GET', '/v1/tenants/pager/executions?function=p&limit=3');
    assert.equal(page1.body.executions.length, 3);
    assert.ok(page1.body.next);
    const page2 = await server.request('GET', `/v1/tenants/pager/executions?function=p&limit=3&before=${page1.body.next}`);
    assert.equal(page2.body.executions.length, 2);
    const all = [...page1.body.executions, ...page2.body.executions].map((e: { result: number }) => e.result);
    assert.deepEqual(all, [4, 3, undefined, 1, 0]);
    const last = page2.body.executions.at(-1).id as string;
    const end = await server.request('GET', `/v1/tenants/pager/executions?function=p&before=${last}`);
    assert.deepEqual([end.status, end.body.executions, end.body.next], [200, [], null], 'past the last one: an empty page');
    const unknown = await server.request('GET', '/v1/tenants/pager/executions?before=ex_nonexistent');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'VALIDATION_FAILED');
    assert.match(unknown.body.error.message, /^before=ex_nonexistent names no execution of tenant pager; pass the "next" value/);
  });

  it('returns 404 for an unknown function or route', async () => {
    const res = await invoke(server, 'acme', 'nope', null);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'FUNCTION_NOT_FOUND');
    const route = await server.request('GET', '/v2/whatever');
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'NOT_FOUND');
  });
});
