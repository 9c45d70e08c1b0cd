// Function deploy/read/list/delete over HTTP: immutable versions, TypeScript stripping and its
// errors with line and column, source size limit, name and body validation and its messages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('functions API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_MAX_SOURCE_BYTES: String(4096) });
  });
  after(async () => server.close());

  it('deploys TypeScript, strips types and runs it', async () => {
    const code = 'interface In { a: number; b: number }\nexport default async function (input: In): Promise<number> { return (input.a as number) + input.b; }\n';
    const put = await server.request('PUT', '/v1/tenants/acme/functions/add', { code, runtime: 'typescript' });
    assert.equal(put.status, 201);
    assert.match(put.body.version, /^[0-9a-f]{64}$/);
    assert.equal(put.body.created, true);
    const res = await invoke(server, 'acme', 'add', { a: 2, b: 3 });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    assert.equal(res.body.result, 5);
  });

  it('says which version was the latest before a deploy, so a redeploy of earlier code shows as a rollback', async () => {
    const first = await server.request('PUT', '/v1/tenants/acme/functions/roll', { code: 'export default () => 1' });
    assert.deepEqual([first.status, first.body.created, first.body.previousVersion], [201, true, null]);
    const v1 = first.body.version as string;
    const second = await server.request('PUT', '/v1/tenants/acme/functions/roll', { code: 'export default () => 2' });
    assert.deepEqual([second.body.created, second.body.previousVersion], [true, v1]);
    const v2 = second.body.version as string;
    const back = await server.request('PUT', '/v1/tenants/acme/functions/roll', { code: 'export default () => 1' });
    assert.deepEqual([back.status, back.body.created, back.body.version, back.body.previousVersion], [200, false, v1, v2]);
    assert.equal((await invoke(server, 'acme', 'roll', null)).body.result, 1, 'the earlier version is the latest again');
    const same = await server.request('PUT', '/v1/tenants/acme/functions/roll', { code: 'export default () => 1' });
    assert.deepEqual([same.body.created, same.body.previousVersion], [false, v1], 'unchanged: previousVersion is the version itself');
    const read = await server.request('GET', '/v1/tenants/acme/functions/roll');
    assert.deepEqual([read.body.version, 'created' in read.body, 'previousVersion' in read.body], [v1, false, false], 'only a deploy says what it did');
    // Every version, newest first deployed first, and which one is the latest.
    const versions = await server.request('GET', '/v1/tenants/acme/functions/roll/versions');
    assert.equal(versions.status, 200);
    assert.equal(versions.body.latest, v1);
    assert.deepEqual((versions.body.versions as { version: string }[]).map((v) => v.version), [v2, v1]);
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/nope/versions')).body.error.code, 'FUNCTION_NOT_FOUND');
  });

  it('addresses versions by content hash; same source gives the same version', async () => {
    const v1 = await deploy(server, 'acme', 'ver', 'export default () => 1');
    const again = await server.request('PUT', '/v1/tenants/acme/functions/ver', { code: 'export default () => 1' });
    assert.equal(again.status, 200);
    assert.equal(again.body.version, v1);
    assert.equal(again.body.created, false);
    const v2 = await deploy(server, 'acme', 'ver', 'export default () => 2');
    assert.notEqual(v2, v1);
    assert.equal((await invoke(server, 'acme', 'ver', null)).body.result, 2);
    const pinned = await server.request('POST', '/v1/tenants/acme/functions/ver/invoke', { input: null, version: v1 });
    assert.equal(pinned.body.result, 1);
    const read = await server.request('GET', `/v1/tenants/acme/functions/ver?version=${v1}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.version, v1);
    const missing = await server.request('POST', '/v1/tenants/acme/functions/ver/invoke', { input: null, version: 'f'.repeat(64) });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'VERSION_NOT_FOUND');
  });

  it('rejects a syntax error with line and column', async () => {
    const res = await server.request('PUT', '/v1/tenants/acme/functions/bad', {
      code: 'export default function (x: number {\n  return x;\n}\n',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SYNTAX_ERROR');
    assert.equal(res.body.error.line, 1);
    assert.equal(typeof res.body.error.column, 'number');
    assert.match(res.body.error.message, /1:\d+/);
  });

  it('rejects non-erasable TypeScript (enum) with line and column', async () => {
    const res = await server.request('PUT', '/v1/tenants/acme/functions/enumy', {
      code: 'const x = 1;\nenum Color { Red }\nexport default () => Color.Red;\n',
      runtime: 'typescript',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'UNSUPPORTED_SYNTAX');
    assert.equal(res.body.error.line, 2);
  });

  it('rejects what Node cannot run (a decorator, an early error) at deploy, with line and column', async () => {
    const decorated = await server.request('PUT', '/v1/tenants/acme/functions/deco', {
      code: 'class A {\n  @log run() {}\n}\nexport default () => new A().run();\n',
    });
    assert.equal(decorated.status, 400);
    assert.equal(decorated.body.error.code, 'UNSUPPORTED_SYNTAX');
    assert.deepEqual([decorated.body.error.line, decorated.body.error.column], [2, 3]);
    assert.match(decorated.body.error.message, /^unsupported syntax at 2:3: decorators are not supported: Node \d+ cannot run them/);
    const twice = await server.request('PUT', '/v1/tenants/acme/functions/twice', {
      code: 'const x = 1;\nconst x = 2;\nexport default () => x;\n',
      runtime: 'javascript',
    });
    assert.equal(twice.status, 400);
    assert.equal(twice.body.error.code, 'SYNTAX_ERROR');
    assert.deepEqual([twice.body.error.line, twice.body.error.column], [2, 7]);
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/deco')).status, 404);
  });

  it('rejects source above the limit with 413', async () => {
    const code = `export default () => ${JSON.stringify('x'.repeat(5000))};`;
    const res = await server.request('PUT', '/v1/tenants/acme/functions/big', { code });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'SOURCE_TOO_LARGE');
  });

  it('validates names and bodies', async () => {
    const badName = await server.request('PUT', '/v1/tenants/Acme!/functions/x', { code: 'export default () => 1' });
    assert.equal(badName.status, 400);
    assert.equal(badName.body.error.code, 'VALIDATION_FAILED');
    const noCode = await server.request('PUT', '/v1/tenants/acme/functions/x', { nope: 1 });
    assert.equal(noCode.status, 400);
    const badLimit = await server.request('PUT', '/v1/tenants/acme/functions/x', { code: 'export default () => 1', limits: { timeoutMs: 10_000_000 } });
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.error.code, 'LIMIT_ABOVE_MAXIMUM');
    const badJson = await server.request('PUT', '/v1/tenants/acme/functions/x', '{"code": ');
    assert.equal(badJson.status, 400);
    // Field-level failures point to the schemas.
    assert.match(noCode.body.error.message, /^invalid request: body must have required property 'code'; the request schemas are in GET \/openapi\.json$/);
  });

  it('says how to send a body that is not a JSON object at all', async () => {
    await deploy(server, 'acme', 'bodies', 'export default (input) => input');
    const invoke = `${server.url}/v1/tenants/acme/functions/bodies/invoke`;
    const deployUrl = `${server.url}/v1/tenants/acme/functions/bodies`; // a deploy needs its code: no body is no deploy
    const auth = { authorization: `Bearer ${server.adminKey}` };
    const code = ' (e.g. {"code": "export default async (input) => input"})';
    const input = ' (e.g. {"input": ...})';
    // Each route's own example: a deploy is not told about invoke's input.
    for (const [url, init, sent, example] of [
      [deployUrl, { method: 'PUT', headers: auth }, 'no content-type', code],
      [deployUrl, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '' }, 'content-type application/json', code],
      [invoke, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '[1, 2]' }, 'content-type application/json', input],
      [`${deployUrl}/latest`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '"v1"' }, 'content-type application/json', ''],
    ] as const) {
      const res = await fetch(url, init);
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'VALIDATION_FAILED');
      assert.equal(
        body.error.message,
        `invalid request: body must be object; send a JSON object${example} with content-type: application/json (this request had ${sent})`,
      );
    }
  });

  it('lists, reads and deletes functions', async () => {
    await deploy(server, 'listy', 'one', 'export default () => 1');
    await deploy(server, 'listy', 'two', 'export async function handler() { return 2 }');
    const list = await server.request('GET', '/v1/tenants/listy/functions');
    assert.deepEqual(list.body.functions.map((f: { name: string }) => f.name).sort(), ['one', 'two']);
    assert.equal((await invoke(server, 'listy', 'two', null)).body.result, 2);
    const del = await server.request('DELETE', '/v1/tenants/listy/functions/one');
    assert.equal(del.status, 204);
    const gone = await server.request('GET', '/v1/tenants/listy/functions/one');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'FUNCTION_NOT_FOUND');
    const invokeGone = await invoke(server, 'listy', 'one', null);
    assert.equal(invokeGone.status, 404);
  });
});
