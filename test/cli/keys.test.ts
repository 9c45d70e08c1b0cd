// `airlock keys` against a real server: create a key (named or not; printed once), list ids,
// creation times and names (the id stays the first column), and revoke one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/process.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('airlock keys', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
  });
  after(() => server.close());

  it('creates a named key and an unnamed one, lists both with the name last, and revokes one', async () => {
    const named = await runCli(['keys', 'create', 'acme', '--name', 'ci'], env);
    assert.equal(named.code, 0, named.stderr);
    const [line, key] = named.stdout.trimEnd().split('\n');
    const id = /^created key (key_\S+) named "ci" for tenant acme \(shown once\):$/.exec(line!)?.[1];
    assert.ok(id, line);
    assert.match(key!, /^ak_/);
    const plain = await runCli(['keys', 'create', 'acme'], env);
    const plainId = /^created key (key_\S+) for tenant acme/.exec(plain.stdout)?.[1];
    assert.ok(plainId, plain.stdout);
    const listed = await runCli(['keys', 'list', 'acme'], env);
    const rows = listed.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((r) => [r[0], r[2]]), [[id, 'ci'], [plainId, undefined]]);
    const json = await runCli(['keys', 'list', 'acme', '--json'], env);
    assert.deepEqual((JSON.parse(json.stdout) as { name: string | null }[]).map((k) => k.name), ['ci', null]);
    assert.equal((await runCli(['keys', 'revoke', 'acme', plainId], env)).stdout, `revoked ${plainId}\n`);
  });

  it('refuses --name on list and revoke, and a name the server refuses', async () => {
    const stray = await runCli(['keys', 'list', 'acme', '--name', 'x'], env);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--name does not apply to keys list, which takes --json/);
    const long = await runCli(['keys', 'create', 'acme', '--name', 'x'.repeat(65)], env);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /VALIDATION_FAILED/);
  });
});
