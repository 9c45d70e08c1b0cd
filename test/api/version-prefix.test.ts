// Naming a version by a prefix of its hash over HTTP, on a real server (SQLite, bwrap): invoke,
// GET a function, its code, a rollback and a job's retry take a unique prefix of at least 8
// characters (12, as module names show it) and answer, run and record the whole hash; a prefix
// two versions start with is 400 VERSION_AMBIGUOUS listing them; a shorter one is 404
// VERSION_NOT_FOUND saying it is too short. The two versions that share a prefix are written into
// the database before the server starts (real hashes practically never share 8 characters).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, submit, waitJob } from './jobs-support.js';

const TWIN_A = 'feedbeef0' + 'a'.repeat(55);
const TWIN_B = 'feedbeef0' + 'b'.repeat(55);

/** Two versions of acme/twins whose hashes share their first 9 characters. */
async function seedTwins(file: string): Promise<void> {
  const store = new SqliteStore(file);
  await store.migrate();
  for (const [version, at] of [[TWIN_A, 1], [TWIN_B, 2]] as const) {
    const code = `export default () => ${JSON.stringify(version)};`;
    await store.putFunctionVersion({ tenant: 'acme', name: 'twins', version, runtime: 'javascript', source: code, code, limits: { ...DEFAULT_LIMITS }, isolation: 'tenant', createdAt: at });
  }
  await store.close();
}

describe('versions named by a prefix over HTTP', () => {
  let dataDir: string;
  let server: TestServer;
  let v1: string;
  let v2: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-prefix-'));
    await seedTwins(join(dataDir, 'airlock.db'));
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir });
    v1 = await deploy(server, 'acme', 'pick', 'export default () => "one";', { runtime: 'javascript' });
    v2 = await deploy(server, 'acme', 'pick', 'export default () => "two";', { runtime: 'javascript' });
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('invoke with a 12-character prefix runs that version and answers and records its whole hash', async () => {
    const res = await invoke(server, 'acme', 'pick', null);
    assert.equal(res.body.result, 'two');
    const named = await server.request('POST', '/v1/tenants/acme/functions/pick/invoke', { version: v1.slice(0, 12) });
    assert.equal(named.status, 200, JSON.stringify(named.body));
    assert.deepEqual([named.body.result, named.body.version], ['one', v1]);
    const record = await server.request('GET', `/v1/tenants/acme/executions/${named.body.executionId}`);
    assert.equal(record.body.version, v1);
  });

  it('GET a function and its code by an 8-character prefix answer the whole hash', async () => {
    const fn = await server.request('GET', `/v1/tenants/acme/functions/pick?version=${v1.slice(0, 8)}`);
    assert.deepEqual([fn.status, fn.body.version], [200, v1]);
    const code = await fetch(`${server.url}/v1/tenants/acme/functions/pick/code?version=${v1.slice(0, 8).toUpperCase()}`, {
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    assert.deepEqual([code.status, code.headers.get('x-airlock-version'), await code.text()], [200, v1, 'export default () => "one";']);
  });

  it('a rollback by prefix makes that version the latest and answers its whole hash', async () => {
    const res = await server.request('PUT', '/v1/tenants/acme/functions/pick/latest', { version: v1.slice(0, 10) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.version, res.body.previousVersion], [v1, v2]);
    assert.equal((await invoke(server, 'acme', 'pick', null)).body.result, 'one');
    assert.equal((await server.request('PUT', '/v1/tenants/acme/functions/pick/latest', { version: v2.slice(0, 8) })).body.version, v2);
  });

  it("a job's retry by prefix stores the whole hash", async () => {
    const bad = await deploy(server, 'acme', 'flaky', 'export default () => { throw new Error("bug"); };', { runtime: 'javascript' });
    const id = await submit(server, 'acme', 'flaky', { maxAttempts: 1 });
    assert.equal((await waitJob(server, 'acme', id, finished)).status, 'dead');
    await deploy(server, 'acme', 'flaky', 'export default () => "fixed";', { runtime: 'javascript' });
    const res = await server.request('POST', `/v1/tenants/acme/jobs/${id}/retry`, { version: bad.slice(0, 12) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.version, bad);
  });

  it('a prefix two versions start with is 400 VERSION_AMBIGUOUS listing both; more characters pick one', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/tenants/acme/functions/twins?version=feedbeef', undefined],
      ['POST', '/v1/tenants/acme/functions/twins/invoke', { version: 'feedbeef0' }],
      ['PUT', '/v1/tenants/acme/functions/twins/latest', { version: 'feedbeef' }],
    ] as const) {
      const res = await server.request(method, path, body);
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.equal(res.body.error.code, 'VERSION_AMBIGUOUS');
      assert.deepEqual(res.body.error.candidates, [TWIN_A, TWIN_B]);
      assert.match(res.body.error.message, /is ambiguous: .* start with it; give more characters of the one you mean/);
    }
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/twins')).body.version, TWIN_B, 'the refused rollback changed nothing');
    const picked = await server.request('POST', '/v1/tenants/acme/functions/twins/invoke', { version: 'feedbeef0a' });
    assert.deepEqual([picked.body.result, picked.body.version], [TWIN_A, TWIN_A]);
  });

  it('a prefix under 8 characters is 404 VERSION_NOT_FOUND saying it is too short', async () => {
    const res = await server.request('POST', '/v1/tenants/acme/functions/pick/invoke', { version: v1.slice(0, 7) });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'VERSION_NOT_FOUND');
    assert.match(res.body.error.message, /is too short to name one: give at least the first 8 characters of its hash \(or all 64\)/);
  });
});
