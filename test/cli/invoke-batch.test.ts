// `airlock invoke --inputs` against a real server: a JSON array (inline or @file) runs as one
// batch, the answer printed as JSON, exit 0 only when every input succeeded; a value that is not
// an array, or --input beside it, is a usage error before any request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('airlock invoke --inputs', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let dir: string;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'double', "export default async (x) => { if (x === 'boom') throw new Error('boom'); return x * 2; };");
    dir = mkdtempSync(join(tmpdir(), 'airlock-cli-batch-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a JSON array as a batch and prints the answers in order', async () => {
    const r = await runCli(['invoke', 'acme/double', '--inputs', '[1, 2, 3]'], env);
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout);
    assert.deepEqual(answer.results.map((x: { result: number }) => x.result), [2, 4, 6]);
    assert.match(answer.version, /^[0-9a-f]{64}$/);

    writeFileSync(join(dir, 'inputs.json'), JSON.stringify([5, 'boom']));
    const mixed = await runCli(['invoke', 'acme/double', '--inputs', `@${join(dir, 'inputs.json')}`], env);
    assert.equal(mixed.code, 1, 'an input that failed: exit 1');
    assert.deepEqual(JSON.parse(mixed.stdout).results.map((x: { status: string }) => x.status), ['succeeded', 'failed']);
  });

  it('refuses what is not an array, and --input beside --inputs, before any request', async () => {
    const before = (await server.request('GET', '/v1/tenants/acme/executions')).body.executions.length;
    const object = await runCli(['invoke', 'acme/double', '--inputs', '{"n":1}'], env);
    assert.equal(object.code, 2);
    assert.match(object.stderr, /--inputs takes a JSON array of inputs/);
    const both = await runCli(['invoke', 'acme/double', '--input', '1', '--inputs', '[1]'], env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--input and --inputs exclude each other/);
    assert.equal((await server.request('GET', '/v1/tenants/acme/executions')).body.executions.length, before);
  });
});
