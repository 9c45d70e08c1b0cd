// Rolling a function back over HTTP (PUT …/functions/{name}/latest) on a real server, SQLite and
// sandbox: the next invoke on this server runs the earlier version at once, GET and the version
// list say so, the version keeps its own settings, a call in flight finishes on the version it
// started with, an unknown version or another tenant's key changes nothing, and a restart keeps
// the rolled-back latest. Reading a version's source back (GET …/functions/{name}/code) byte for byte.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const marker = (m: string): string => `export default async () => ({ marker: '${m}' });\n`;

async function waitForRunning(url: string): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (/^airlock_admission\{state="running"\} [1-9]/m.test(metrics)) return;
  }
  throw new Error('the call never started running');
}

describe('rolling a function back', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  const latest = (tenant: string, name: string, body: unknown, key?: string) =>
    server.request('PUT', `/v1/tenants/${tenant}/functions/${name}/latest`, body, key);

  it('makes an earlier version the latest: the next invoke runs it at once, GET and the version list show it', async () => {
    const v1 = await deploy(server, 'acme', 'roll', marker('v1'), { limits: { timeoutMs: 1500 } });
    const v2 = await deploy(server, 'acme', 'roll', marker('v2'));
    // This server now holds v2 as the latest in its cache.
    assert.equal((await invoke(server, 'acme', 'roll', null)).body.result.marker, 'v2');
    const before = (await server.request('GET', '/v1/tenants/acme/functions')).body.functions.find((f: { name: string }) => f.name === 'roll');

    const res = await latest('acme', 'roll', { version: v1 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.version, res.body.previousVersion, res.body.limits.timeoutMs], [v1, v2, 1500], 'the version keeps its own limits');
    const read = await server.request('GET', '/v1/tenants/acme/functions/roll');
    assert.deepEqual({ ...res.body, previousVersion: undefined }, { ...read.body, previousVersion: undefined }, 'answered as GET shows it');
    assert.equal(typeof res.body.webhook.path, 'string');

    assert.equal((await invoke(server, 'acme', 'roll', null)).body.result.marker, 'v1', 'not the cached v2');
    const versions = await server.request('GET', '/v1/tenants/acme/functions/roll/versions');
    assert.equal(versions.body.latest, v1);
    assert.deepEqual(
      versions.body.versions.map((v: { version: string; limits: { timeoutMs: number }; isolation: string }) => [v.version, v.limits.timeoutMs, v.isolation]),
      [[v2, 2000, 'tenant'], [v1, 1500, 'tenant']],
      'both versions stay, in first-deploy order, with the settings their hash covers',
    );
    const after = (await server.request('GET', '/v1/tenants/acme/functions')).body.functions.find((f: { name: string }) => f.name === 'roll');
    assert.deepEqual([after.latestVersion, after.versions], [v1, 2]);
    assert.ok(Date.parse(after.updatedAt) >= Date.parse(before.updatedAt));

    // Already the latest: answered unchanged, and nothing is written.
    const again = await latest('acme', 'roll', { version: v1 });
    assert.deepEqual([again.status, again.body.version, again.body.previousVersion], [200, v1, v1]);
    const unchanged = (await server.request('GET', '/v1/tenants/acme/functions')).body.functions.find((f: { name: string }) => f.name === 'roll');
    assert.equal(unchanged.updatedAt, after.updatedAt);

    // And forward again.
    const forward = await latest('acme', 'roll', { version: v2 });
    assert.deepEqual([forward.status, forward.body.version, forward.body.previousVersion], [200, v2, v1]);
    assert.equal((await invoke(server, 'acme', 'roll', null)).body.result.marker, 'v2');
  });

  it('an unknown version or function is 404 and changes nothing; a bad body is 400', async () => {
    const v1 = await deploy(server, 'acme', 'stay', marker('v1'));
    const v2 = await deploy(server, 'acme', 'stay', marker('v2'));
    const unknown = await latest('acme', 'stay', { version: 'f'.repeat(64) });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'VERSION_NOT_FOUND');
    assert.match(unknown.body.error.message, new RegExp(`has no version "f{64}"; the latest is ${v2}.*airlock functions acme/stay --versions`));
    const otherFunction = await latest('acme', 'roll-none', { version: v1 });
    assert.deepEqual([otherFunction.status, otherFunction.body.error.code], [404, 'FUNCTION_NOT_FOUND']);
    // A version of another function of the same tenant is not one of this function's.
    const elsewhere = await deploy(server, 'acme', 'elsewhere', marker('other'));
    assert.equal((await latest('acme', 'stay', { version: elsewhere })).body.error.code, 'VERSION_NOT_FOUND');
    for (const body of [{}, { version: '' }, { version: v1, extra: 1 }, { version: 'a'.repeat(65) }]) {
      const bad = await latest('acme', 'stay', body);
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'VALIDATION_FAILED'], JSON.stringify(body));
    }
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/stay')).body.version, v2);
    assert.equal((await invoke(server, 'acme', 'stay', null)).body.result.marker, 'v2');
  });

  it("a tenant key rolls back its own tenant's functions only: another tenant's key is 403 and changes nothing", async () => {
    const v1 = await deploy(server, 'acme', 'keyed', marker('v1'));
    const v2 = await deploy(server, 'acme', 'keyed', marker('v2'));
    const own = (await server.request('POST', '/v1/tenants/acme/keys')).body.key as string;
    const other = (await server.request('POST', '/v1/tenants/globex/keys')).body.key as string;
    const refused = await latest('acme', 'keyed', { version: v1 }, other);
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'FORBIDDEN']);
    const code = await fetch(`${server.url}/v1/tenants/acme/functions/keyed/code?version=${v1}`, { headers: { authorization: `Bearer ${other}` } });
    assert.equal(code.status, 403, 'nor can it read the source');
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/keyed')).body.version, v2);
    const allowed = await latest('acme', 'keyed', { version: v1 }, own);
    assert.deepEqual([allowed.status, allowed.body.version], [200, v1]);
  });

  it('a call in flight finishes on the version it started with; the next runs the rolled-back one', async () => {
    const v1 = await deploy(server, 'acme', 'flight', marker('v1'));
    await deploy(server, 'acme', 'flight', 'export default async () => { await new Promise((r) => setTimeout(r, 1500)); return { marker: "v2" }; };', {
      limits: { timeoutMs: 10_000 },
    });
    const call = invoke(server, 'acme', 'flight', null);
    await waitForRunning(server.url);
    assert.equal((await latest('acme', 'flight', { version: v1 })).status, 200);
    assert.equal((await invoke(server, 'acme', 'flight', null)).body.result.marker, 'v1');
    const inFlight = await call;
    assert.deepEqual([inFlight.body.status, inFlight.body.result?.marker], ['succeeded', 'v2']);
  });

  it('reads a version\'s source back byte for byte: TypeScript as deployed, not the JavaScript it became', async () => {
    // Types, a comment, CRLF line ends, a tab, trailing spaces, non-ASCII text and no final newline.
    const ts = "// greet: Grüße 👋\r\ninterface In { name: string }\r\nexport default async (input: In): Promise<string> => {\r\n\treturn `héllo ${input.name}`;   \r\n};";
    const js = 'export default () => "js";\n';
    const vTs = await deploy(server, 'acme', 'src', ts, { runtime: 'typescript' });
    const vJs = await deploy(server, 'acme', 'src', js, { runtime: 'javascript' });
    const code = (name: string, query = '') => fetch(`${server.url}/v1/tenants/acme/functions/${name}/code${query}`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    const get = (query: string) => code('src', query);

    const old = await get(`?version=${vTs}`);
    assert.equal(old.status, 200);
    assert.deepEqual(Buffer.from(await old.arrayBuffer()), Buffer.from(ts, 'utf8'));
    assert.equal(old.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.deepEqual([old.headers.get('x-airlock-version'), old.headers.get('x-airlock-runtime')], [vTs, 'typescript']);
    assert.equal(old.headers.get('x-content-type-options'), 'nosniff');

    const current = await get('');
    assert.equal(await current.text(), js, 'no version: the latest');
    assert.deepEqual([current.headers.get('content-type'), current.headers.get('x-airlock-version')], ['text/javascript; charset=utf-8', vJs]);

    // Deploying the source read back with the version's settings is that very version again.
    const redeploy = await server.request('PUT', '/v1/tenants/acme/functions/src', { code: ts, runtime: 'typescript' });
    assert.deepEqual([redeploy.body.version, redeploy.body.created], [vTs, false]);

    const missing = await get(`?version=${'0'.repeat(64)}`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'VERSION_NOT_FOUND');
    const nofn = await code('nope');
    assert.deepEqual([nofn.status, ((await nofn.json()) as { error: { code: string } }).error.code], [404, 'FUNCTION_NOT_FOUND']);
    // The function's own answers stay small: no source in GET or the version list.
    const fn = await server.request('GET', `/v1/tenants/acme/functions/src?version=${vTs}`);
    assert.equal(JSON.stringify(fn.body).includes('interface'), false);
    const list = await server.request('GET', '/v1/tenants/acme/functions/src/versions');
    assert.equal(JSON.stringify(list.body).includes('interface'), false);
  });
});

describe('a rollback across a restart', () => {
  it('the rolled-back version is still the latest after the server restarts on the same data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-rollback-'));
    try {
      let server = await startTestServer({ AIRLOCK_DATA_DIR: dataDir });
      let v1: string;
      try {
        v1 = await deploy(server, 'acme', 'kept', marker('v1'));
        await deploy(server, 'acme', 'kept', marker('v2'));
        assert.equal((await server.request('PUT', '/v1/tenants/acme/functions/kept/latest', { version: v1 })).status, 200);
      } finally {
        await server.close();
      }
      server = await startTestServer({ AIRLOCK_DATA_DIR: dataDir });
      try {
        assert.equal((await server.request('GET', '/v1/tenants/acme/functions/kept')).body.version, v1);
        assert.equal((await invoke(server, 'acme', 'kept', null)).body.result.marker, 'v1');
        assert.equal((await server.request('GET', '/v1/tenants/acme/functions/kept/versions')).body.versions.length, 2);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
