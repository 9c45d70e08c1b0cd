// Large invoke bodies are read on the server's parser thread, not its event loop: the same body
// sent small (parsed on the event loop) and padded past OFF_THREAD_BODY_BYTES with trailing
// whitespace (parsed on the thread) must get the same answer, refusals included, and only the
// padded ones are counted by airlock_request_bodies_parsed_off_thread_total.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OFF_THREAD_BODY_BYTES } from '../../src/core/limits.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const INVOKE = '/v1/tenants/acme/functions/echo/invoke';
const SMALL_LIMIT = '/v1/tenants/acme/functions/small/invoke';

/** The same JSON text, padded with trailing spaces (still the same JSON) past the off-thread threshold. */
function padded(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return Buffer.concat([bytes, Buffer.alloc(OFF_THREAD_BODY_BYTES + 16, ' ')]);
}

describe('large invoke bodies', () => {
  let server: TestServer;
  let version: string;

  before(async () => {
    // Jobs are stored, not run: the test reads back what a submission stored.
    server = await startTestServer({ AIRLOCK_MAX_JSON_DEPTH: '8', AIRLOCK_JOBS: 'paused' });
    version = await deploy(server, 'acme', 'echo', 'export default (input) => input');
    await deploy(server, 'acme', 'small', 'export default (input) => input', { limits: { inputBytes: 1000 } });
  });
  after(async () => server.close());

  async function send(path: string, body: string | Buffer) {
    const headers = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
    const res = await fetch(server.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
    const answer = (await res.json()) as Record<string, any>;
    // Ids and timings differ between two runs of the same call; what the body decides does not.
    return { status: res.status, code: answer.error?.code, message: answer.error?.message, status2: answer.status, result: answer.result };
  }

  async function offThreadCount(): Promise<number> {
    const text = await (await fetch(server.url + '/metrics', { headers: { authorization: `Bearer ${server.adminKey}` } })).text();
    const line = text.split('\n').find((l) => l.startsWith('airlock_request_bodies_parsed_off_thread_total'));
    assert.ok(line !== undefined, 'the metric is exported');
    return Number(line.split(' ')[1]);
  }

  const deep = (levels: number): unknown => (levels === 0 ? 1 : [deep(levels - 1)]);
  // What each body is, where it goes, and what it gets (an error code, or the execution's status).
  const cases: [string, string, () => string | Buffer, string][] = [
    ['an input of every JSON kind', INVOKE, () => JSON.stringify({ input: { s: 'café \u2028 "q" \\', n: [0, -0, 1e21, 1.5, -7], b: [true, false], z: null, o: { '': {} } } }), 'succeeded'],
    ['an input and a version', INVOKE, () => JSON.stringify({ input: [1, 'two'], version }), 'succeeded'],
    ['no input at all', INVOKE, () => '{}', 'succeeded'],
    ['an input of null', INVOKE, () => '{"input": null}', 'succeeded'],
    ['invalid JSON', INVOKE, () => '{"input": {"a": 1,}}', 'BAD_REQUEST'],
    ['bytes that are not UTF-8', INVOKE, () => Buffer.concat([Buffer.from('{"input":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]), 'BAD_REQUEST'],
    ['a __proto__ key in the input', INVOKE, () => '{"input":{"__proto__":{"x":1}}}', 'VALIDATION_FAILED'],
    ['a constructor.prototype key beside the input', INVOKE, () => '{"input":1,"constructor":{"prototype":{"x":1}}}', 'VALIDATION_FAILED'],
    ['an unknown field', INVOKE, () => '{"input":1,"inptu":2}', 'VALIDATION_FAILED'],
    ['a version that is not a string', INVOKE, () => '{"input":1,"version":7}', 'VALIDATION_FAILED'],
    ['a version that names none', INVOKE, () => '{"input":1,"version":"0000000"}', 'VERSION_NOT_FOUND'],
    ['a body that is an array', INVOKE, () => '[1,2,3]', 'VALIDATION_FAILED'],
    ['a body that is a string', INVOKE, () => '"text"', 'VALIDATION_FAILED'],
    ['a body that is null (no body)', INVOKE, () => 'null', 'succeeded'],
    ['an input deeper than the maximum', INVOKE, () => JSON.stringify({ input: deep(9) }), 'INPUT_TOO_DEEP'],
    ['a number too large for a double (1e400)', INVOKE, () => '{"input": {"n": [1, 1e400]}}', 'BAD_REQUEST'],
    ['an input at the maximum depth', INVOKE, () => JSON.stringify({ input: deep(7) }), 'succeeded'],
    ['an input over the function limit', SMALL_LIMIT, () => JSON.stringify({ input: 'x'.repeat(1200) }), 'INPUT_TOO_LARGE'],
    ['an input within the function limit', SMALL_LIMIT, () => JSON.stringify({ input: 'x'.repeat(900) }), 'succeeded'],
  ];

  for (const [what, path, text, expected] of cases) {
    it(`${what}: the same answer (${expected}) parsed on the event loop and on the parser thread`, async () => {
      const body = text();
      const before = await offThreadCount();
      const small = await send(path, body);
      assert.equal(await offThreadCount(), before, 'a small body is parsed on the event loop');
      const large = await send(path, padded(body));
      assert.equal(await offThreadCount(), before + 1, 'a padded body is parsed on the parser thread');
      assert.deepEqual(large, small);
      assert.equal(large.code ?? large.status2, expected, large.message);
    });
  }

  it('says where invalid JSON is invalid, and how large an input over the limit is', async () => {
    const invalid = await send(INVOKE, padded('{"input": {"a": 1,}}'));
    assert.match(invalid.message, /^request body is not valid JSON \(.*position 18.*\); send a JSON object/);
    const over = await send(SMALL_LIMIT, padded(JSON.stringify({ input: 'x'.repeat(1200) })));
    assert.match(over.message, /^input is 1202 bytes as compact UTF-8 JSON, above this function's limit of 1000/);
  });

  const JOBS = '/v1/tenants/acme/functions/echo/jobs';
  const jobCases: [string, string, () => string, string][] = [
    ['a job of every JSON kind', JOBS, () => JSON.stringify({ input: { s: 'é \u2028', n: [0, 1e21, -7.5], z: null, o: { '': [] } }, maxAttempts: 2 }), '202'],
    ['a job with no input', JOBS, () => '{"maxAttempts": 1}', '202'],
    ['a job input deeper than the maximum', JOBS, () => JSON.stringify({ input: deep(9) }), 'INPUT_TOO_DEEP'],
    ['a job input with 1e400', JOBS, () => '{"input": [1e400]}', 'BAD_REQUEST'],
    ['a job input over the function limit', '/v1/tenants/acme/functions/small/jobs', () => JSON.stringify({ input: 'x'.repeat(1200) }), 'INPUT_TOO_LARGE'],
    ['a job with an unknown field', JOBS, () => '{"input": 1, "maxAtempts": 2}', 'VALIDATION_FAILED'],
  ];

  /** Submits a job; for a stored one, what its detail says it was submitted with. */
  async function submit(path: string, body: string | Buffer) {
    const headers = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
    const res = await fetch(server.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
    const answer = (await res.json()) as Record<string, any>;
    if (res.status !== 202) return { status: res.status, code: answer.error?.code, message: answer.error?.message };
    const detail = await server.request('GET', `/v1/tenants/acme/jobs/${answer.jobId}`);
    return { status: res.status, input: detail.body.input, maxAttempts: detail.body.maxAttempts };
  }

  for (const [what, path, text, expected] of jobCases) {
    it(`${what}: the same answer (${expected}) and the same stored input both ways`, async () => {
      const before = await offThreadCount();
      const small = await submit(path, text());
      assert.equal(await offThreadCount(), before);
      const large = await submit(path, padded(text()));
      assert.equal(await offThreadCount(), before + 1);
      assert.deepEqual(large, small);
      assert.equal(large.code ?? String(large.status), expected, large.message);
      if (large.status === 202) assert.deepEqual(large.input, (JSON.parse(text()) as { input?: unknown }).input ?? null);
    });
  }

  it('passes a large input to the function whole', async () => {
    const input = Array.from({ length: 5000 }, (_, i) => ({ i, text: `line ${i} \u00e9\u{1F600}` }));
    const res = await server.request('POST', INVOKE, { input });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(res.body.result, input);
  });
});
