// Refusals of malformed requests, over HTTP against a real server: each has a stable code and a
// message that says what was wrong and how to send it instead.
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { rawRequest } from '../support/raw-http.js';

const INVOKE = '/v1/tenants/acme/functions/echo/invoke';

describe('request refusals', () => {
  let server: TestServer;

  before(async () => {
    // A small input maximum and bundle limit, so over-limit invoke and deploy bodies are small too.
    server = await startTestServer({ AIRLOCK_MAX_INPUT_BYTES: '100000', AIRLOCK_DEFAULT_INPUT_BYTES: '100000', AIRLOCK_MAX_BUNDLE_BYTES: String(512 * 1024) });
    await deploy(server, 'acme', 'echo', 'export default (input) => input');
  });
  after(async () => server.close());

  /** POSTs `body` as is with `contentType` (none if undefined) and the admin key. */
  async function send(path: string, body: string, contentType: string | undefined, method = 'POST') {
    const headers: Record<string, string> = { authorization: `Bearer ${server.adminKey}` };
    if (contentType !== undefined) headers['content-type'] = contentType;
    // A Blob without a type: fetch sends no content-type of its own (a string would be text/plain).
    const res = await fetch(server.url + path, { method, headers, body: new Blob([body]) });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } & Record<string, unknown> };
  }

  describe('JSON bodies', () => {
    for (const body of ['{"input":{"__proto__":{"x":1}}}', '{"input":{"constructor":{"prototype":{"x":1}}}}']) {
      it(`refuses ${body} as a forbidden key, not as invalid JSON`, async () => {
        const res = await send(INVOKE, body, 'application/json');
        assert.equal(res.status, 400);
        assert.equal(res.body.error.code, 'VALIDATION_FAILED');
        assert.match(res.body.error.message, /may not contain a key named "__proto__", or a "constructor" key holding a "prototype" key/);
        assert.match(res.body.error.message, /rename those keys/);
        assert.doesNotMatch(res.body.error.message, /not valid JSON/);
      });
    }

    it('refuses a body that is not UTF-8 instead of reading it as U+FFFD', async () => {
      const headers = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
      const bytes = Buffer.concat([Buffer.from('{"input":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]); // latin-1 é
      const res = await fetch(server.url + INVOKE, { method: 'POST', headers, body: bytes });
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, 400);
      assert.equal(body.error.code, 'BAD_REQUEST');
      assert.match(body.error.message, /^request body is not valid UTF-8; JSON must be sent as UTF-8/);
      const fine = await send(INVOKE, '{"input":"café \ufffd"}', 'application/json');
      assert.equal(fine.body.result, 'café \ufffd', 'UTF-8 text, a real U+FFFD included, is taken');
    });

    it('says where invalid JSON is invalid', async () => {
      const res = await send(INVOKE, '{"input": {"a": 1,}}', 'application/json');
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'BAD_REQUEST');
      assert.match(res.body.error.message, /^request body is not valid JSON \(.*position 18.*\); send a JSON object/);
    });

    it('still accepts ordinary keys, constructor included', async () => {
      const res = await send(INVOKE, '{"input":{"constructor":"ok","proto":1}}', 'application/json');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.result, { constructor: 'ok', proto: 1 });
    });
  });

  describe('content-types other than JSON', () => {
    for (const type of ['application/x-www-form-urlencoded', 'application/javascript', 'text/plain']) {
      it(`refuses ${type} with 415 UNSUPPORTED_MEDIA_TYPE naming it and how to send JSON`, async () => {
        const res = await send(INVOKE, 'input=1', type);
        assert.equal(res.status, 415);
        assert.equal(res.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
        assert.match(res.body.error.message, new RegExp(`^this request has content-type "${type}"; the API takes JSON`));
        assert.match(res.body.error.message, /-H 'content-type: application\/json'/);
      });
    }

    it('refuses a JSON body with a content-encoding (415) instead of reading its bytes as they came', async () => {
      const headers = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
      const gzipped = gzipSync('{"input":1}');
      const real = await fetch(server.url + INVOKE, { method: 'POST', headers: { ...headers, 'content-encoding': 'gzip' }, body: gzipped });
      const realBody = (await real.json()) as { error: { code: string; message: string } };
      assert.equal(real.status, 415);
      assert.equal(realBody.error.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(realBody.error.message, /^the API does not take compressed request bodies \(this one has the content-encoding "gzip"\); send the JSON uncompressed/);
      // A plain body labelled compressed was taken as it is (and ran the function).
      const labelled = await fetch(server.url + INVOKE, { method: 'POST', headers: { ...headers, 'content-encoding': 'br' }, body: '{"input":1}' });
      assert.equal(labelled.status, 415);
      assert.equal(((await labelled.json()) as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
      const identity = await fetch(server.url + INVOKE, { method: 'POST', headers: { ...headers, 'content-encoding': 'identity' }, body: '{"input":1}' });
      assert.equal(identity.status, 200);
      assert.equal(((await identity.json()) as { result: unknown }).result, 1);
    });

    it('takes an empty body with a JSON content-type as no body', async () => {
      const res = await send('/v1/tenants/acme/functions/gone', '', 'application/json', 'DELETE');
      assert.equal(res.status, 404, 'the route ran: the function does not exist');
      assert.equal(res.body.error.code, 'FUNCTION_NOT_FOUND');
    });

    it('takes an invoke or a job submission without a body as one with every field left out', async () => {
      const headers = { authorization: `Bearer ${server.adminKey}` };
      const invoked = await fetch(server.url + INVOKE, { method: 'POST', headers });
      const body = (await invoked.json()) as { status: string; result?: unknown };
      assert.equal(invoked.status, 200, JSON.stringify(body));
      assert.deepEqual([body.status, body.result], ['succeeded', null], 'the input is null');
      const empty = await send(INVOKE, '', 'application/json');
      assert.equal(empty.status, 200, JSON.stringify(empty.body));
      const submitted = await fetch(server.url + '/v1/tenants/acme/functions/echo/jobs', { method: 'POST', headers });
      assert.equal(submitted.status, 202, await submitted.text());
    });

    it('says so when a body came without a content-type', async () => {
      const res = await send(INVOKE, '{"input":1}', undefined);
      assert.equal(res.status, 415);
      assert.equal(res.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(res.body.error.message, /^this request has a body without a content-type; the API takes JSON/);
    });
  });

  describe('validation failures', () => {
    const SCHEMAS = '; the request schemas are in GET /openapi.json';

    it('lists the allowed values of an enum', async () => {
      const res = await server.request('GET', '/v1/tenants/acme/executions?status=bogus');
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.equal(res.body.error.message, `invalid request: querystring/status must be one of succeeded, failed, timeout, oom, killed, rejected${SCHEMAS}`);
    });

    it('names an unexpected body property and the allowed ones', async () => {
      const res = await server.request('POST', INVOKE, { inptu: 1 });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.equal(res.body.error.message, `invalid request: body has an unexpected property "inptu" (allowed: input, version, timeoutMs)${SCHEMAS}`);
    });

    it('names an unexpected property of a nested object with its path', async () => {
      const res = await server.request('PUT', '/v1/tenants/acme/functions/echo', { code: 'export default () => 1', limits: { memoryMb: 64 } });
      assert.equal(res.status, 400);
      assert.equal(
        res.body.error.message,
        `invalid request: body/limits has an unexpected property "memoryMb" (allowed: timeoutMs, memoryMiB, inputBytes, resultBytes, logBytes)${SCHEMAS}`,
      );
    });

    it('does not coerce body fields: a number sent as a string is refused, naming the field', async () => {
      const res = await server.request('PUT', '/v1/tenants/acme/functions/typed', { code: 'export default () => 1', limits: { timeoutMs: '100' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.equal(res.body.error.message, `invalid request: body/limits/timeoutMs must be integer${SCHEMAS}`);
      const egress = await server.request('PUT', '/v1/tenants/acme/functions/typed', { code: 'export default () => 1', egress: { allow: 'api.example.com' } });
      assert.equal(egress.status, 400, 'a string is not wrapped into the array the schema asks for');
      assert.match(egress.body.error.message, /^invalid request: body\/egress\/allow must be array/);
      const listed = await server.request('GET', '/v1/tenants/acme/functions/typed');
      assert.equal(listed.status, 404, 'nothing was deployed');
    });

    it('still reads query parameters as numbers', async () => {
      const res = await server.request('GET', '/v1/tenants/acme/executions?limit=1');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(Array.isArray(res.body.executions));
    });

    it('refuses query parameters on a route that takes none', async () => {
      const res = await server.request('GET', '/v1/tenants/acme/functions?limit=2');
      assert.equal(res.status, 400);
      assert.equal(res.body.error.message, `invalid request: querystring has an unexpected property "limit" (allowed: none)${SCHEMAS}`);
      assert.equal((await server.request('GET', '/v1/tenants/acme/functions')).status, 200);
      const typo = await server.request('GET', '/v1/tenants/acme/functions/echo?verson=abc');
      assert.equal(typo.status, 400, 'a typo in ?version= is refused, not the latest shown');
      assert.equal(typo.body.error.message, `invalid request: querystring has an unexpected property "verson" (allowed: version)${SCHEMAS}`);
    });

    it('says a query parameter was given more than once, instead of that it must be an integer', async () => {
      const limit = await server.request('GET', '/v1/tenants/acme/jobs?limit=1&limit=2');
      assert.equal(limit.status, 400);
      assert.equal(limit.body.error.code, 'VALIDATION_FAILED');
      assert.equal(limit.body.error.message, `invalid request: querystring/limit was given more than once (2 times); give it once${SCHEMAS}`);
      const fn = await server.request('GET', '/v1/tenants/acme/executions?function=a&function=b&function=c');
      assert.equal(fn.body.error.message, `invalid request: querystring/function was given more than once (3 times); give it once${SCHEMAS}`);
      const status = await server.request('GET', '/v1/tenants/acme/jobs?status=queued&status=dead');
      assert.equal(status.body.error.message, `invalid request: querystring/status was given more than once (2 times); give it once${SCHEMAS}`);
      const hook = (await server.request('GET', '/v1/tenants/acme/functions/echo/webhook')).body.path as string;
      const wait = await fetch(`${server.url}${hook}?wait=1&wait=2`, { method: 'POST', body: 'x' });
      assert.equal(wait.status, 400);
      assert.equal(((await wait.json()) as { error: { message: string } }).error.message, `invalid request: querystring/wait was given more than once (2 times); give it once${SCHEMAS}`);
      assert.equal((await server.request('GET', '/v1/tenants/acme/jobs?limit=2')).status, 200, 'given once, it is taken');
    });

    it('names an unexpected query parameter', async () => {
      const res = await server.request('GET', '/v1/tenants/acme/executions?state=failed');
      assert.equal(res.status, 400);
      assert.equal(res.body.error.message, `invalid request: querystring has an unexpected property "state" (allowed: function, status, job, before, since, until, limit)${SCHEMAS}`);
    });
  });

  describe('bodies over the limit', () => {
    it('a deploy names only the source and bundle limits and why its body may be twice the larger', async () => {
      const code = `export default () => ${JSON.stringify('x'.repeat(2 * 1024 * 1024))};`;
      const res = await server.request('PUT', '/v1/tenants/acme/functions/big', { code });
      assert.equal(res.status, 413);
      assert.equal(res.body.error.code, 'SOURCE_TOO_LARGE');
      const message: string = res.body.error.message;
      // Twice the bundle limit plus 64 KiB for the rest of the request.
      assert.match(message, /^the deploy request is larger than the server accepts \(1114112 bytes; this one has \d+\)/);
      assert.match(message, /a function's source may be at most 262144 bytes \(AIRLOCK_MAX_SOURCE_BYTES\), a bundle's \("bundle": true\) at most 524288 bytes \(AIRLOCK_MAX_BUNDLE_BYTES\)/);
      assert.match(message, /about twice the larger because JSON escaping can double the source/);
      assert.match(message, /ask the operator to raise AIRLOCK_MAX_BUNDLE_BYTES \(and AIRLOCK_MAX_SOURCE_BYTES for a source that is not a bundle\)$/);
      assert.doesNotMatch(message, /INPUT/);
    });

    it('an invoke names only the input limit, and why its body may be twice it', async () => {
      const res = await server.request('POST', INVOKE, { input: 'x'.repeat(300_000) });
      assert.equal(res.status, 413);
      assert.equal(res.body.error.code, 'INPUT_TOO_LARGE');
      const message: string = res.body.error.message;
      // Twice the input maximum plus 64 KiB for the rest of the request.
      assert.match(message, /^the request body is larger than the server accepts \(265536 bytes; this one has 300\d{3}\)/);
      assert.match(message, /the largest input is 100000 bytes \(AIRLOCK_MAX_INPUT_BYTES\) as compact UTF-8 JSON, and a body may be about twice that \(200000 bytes, plus 65536 for the rest of the request\)/);
      assert.match(message, /ensure_ascii=False/);
      assert.match(message, /ask the operator to raise AIRLOCK_MAX_INPUT_BYTES$/);
      assert.doesNotMatch(message, /SOURCE/);
    });

    it('an input within the limit is taken however it is written: \\u escapes and whitespace do not count against it', async () => {
      // 30,000 CJK characters: 90,002 bytes as compact UTF-8 JSON, within the 100,000-byte input
      // limit; written as \uXXXX escapes and indented, as Python's json.dumps(…, indent=1) writes
      // them, the body is about 180 KB, above the input limit itself.
      const input = { text: '你'.repeat(30_000) };
      const escaped = JSON.stringify({ input }, null, 1).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      assert.ok(Buffer.byteLength(escaped) > 100_000 + 65_536, `the body is ${Buffer.byteLength(escaped)} bytes`);
      const res = await send(INVOKE, escaped, 'application/json');
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assert.equal((res.body.result as { text: string }).text, input.text);
      // The input limit itself is still measured on the compact JSON: one character more than fits is refused.
      const over = await send(INVOKE, JSON.stringify({ input: '你'.repeat(33_334) }), 'application/json');
      assert.equal(over.status, 413);
      assert.equal(over.body.error.code, 'INPUT_TOO_LARGE');
      assert.match(over.body.error.message, /^input is 100004 bytes as compact UTF-8 JSON, above this function's limit of 100000/);
    });
  });

  describe('refused before any route runs, in the same error format', () => {
    const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

    it('a path segment over the router limit is 414 URI_TOO_LONG, repeating only the start of the URL', async () => {
      const long = 'a'.repeat(150);
      const res = await server.request('GET', `/v1/tenants/acme/functions/${long}`);
      assert.equal(res.status, 414, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'URI_TOO_LONG');
      assert.match(
        res.body.error.message,
        /^a part of the path is 150 characters long, above the 100 the server takes: \/v1\/tenants\/acme\/functions\/a+… \(177 characters\); tenant and function names are at most 63 characters, ids at most 64$/,
      );
    });

    it('a broken percent-encoding is 400 BAD_REQUEST', async () => {
      const res = await server.request('GET', '/v1/tenants/acme/functions/ec%zzho');
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(res.body.error, {
        code: 'BAD_REQUEST',
        message:
          'the path is not a valid URL: /v1/tenants/acme/functions/ec%zzho; it has a "%" not followed by two hex digits, or percent-encoded bytes that are not UTF-8 (write a "%" itself as %25)',
      });
    });

    it('headers over the parser limit are 431 HEADERS_TOO_LARGE, and the connection is closed', async () => {
      const answer = await rawRequest(server.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.equal(answer.status, 431, answer.headers);
      assert.match(answer.headers, /\r\ncontent-type: application\/json\r\n/i);
      assert.deepEqual(errorOf(answer.body), {
        code: 'HEADERS_TOO_LARGE',
        message: 'the request line and headers are larger than 16384 bytes in all (a long query string counts too); send fewer or smaller headers, or a shorter URL',
      });
    });

    for (const [what, request] of [
      ['a malformed request line', 'HELLO\r\n\r\n'],
      ['Content-Length with Transfer-Encoding', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ] as const) {
      it(`${what} is 400 BAD_REQUEST saying the request is not valid HTTP`, async () => {
        const answer = await rawRequest(server.url, request);
        assert.equal(answer.status, 400, answer.headers);
        const error = errorOf(answer.body);
        assert.equal(error.code, 'BAD_REQUEST');
        assert.match(error.message, /^the request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\); send a well-formed request/);
      });
    }
  });
});
