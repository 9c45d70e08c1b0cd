// `airlock keys` against a real server: create a key (named or not; printed once), list ids,
// prefixes, creation times and names (the id stays the first column), revoke one, and find which
// key a whole key is from stdin (never from an argument).
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
    const line = named.stderr.trimEnd();
    const key = named.stdout.trimEnd();
    const id = /^created key (key_\S+) named "ci" for tenant acme \(shown once\):$/.exec(line)?.[1];
    assert.ok(id, line);
    assert.match(key, /^ak_[\w-]+$/, 'stdout holds the key alone');
    const plain = await runCli(['keys', 'create', 'acme'], env);
    const plainId = /^created key (key_\S+) for tenant acme/.exec(plain.stderr)?.[1];
    assert.ok(plainId, plain.stderr);
    const listed = await runCli(['keys', 'list', 'acme'], env);
    const rows = listed.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[3]]), [[id, key.slice(0, 11), 'ci'], [plainId, plain.stdout.trimEnd().slice(0, 11), undefined]]);
    const json = await runCli(['keys', 'list', 'acme', '--json'], env);
    assert.deepEqual((JSON.parse(json.stdout) as { name: string | null }[]).map((k) => k.name), ['ci', null]);
    assert.equal((await runCli(['keys', 'revoke', 'acme', plainId], env)).stdout, `revoked ${plainId}\n`);
  });

  it('finds a key read from stdin: its id, tenant, name and how to revoke it; a revoked one is not found', async () => {
    const created = await runCli(['keys', 'create', 'globex', '--name', 'backend'], env);
    const key = created.stdout.trimEnd();
    const id = /^created key (key_\S+)/.exec(created.stderr)?.[1];
    const found = await runCli(['keys', 'find'], env, `${key}\n`);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, new RegExp(`^key ${id} of tenant globex\n  name     backend\n  prefix   ${key.slice(0, 11)}\n  created  \\S+Z\nrevoke it with: airlock keys revoke globex ${id}\n$`));
    const json = await runCli(['keys', 'find', '--json'], env, key);
    assert.deepEqual({ ...JSON.parse(json.stdout), createdAt: 'x' }, { kind: 'tenant', id, tenant: 'globex', name: 'backend', prefix: key.slice(0, 11), createdAt: 'x' });
    const admin = await runCli(['keys', 'find'], env, server.adminKey);
    assert.match(admin.stdout, /^this is the server's admin key/);
    await runCli(['keys', 'revoke', 'globex', id!], env);
    const gone = await runCli(['keys', 'find'], env, key);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /NOT_FOUND.*revoked/);
    assert.equal((found.stderr + gone.stderr).includes(key!), false, 'the key is never printed back');
  });

  it('keys find refuses a key given as an argument, and empty stdin', async () => {
    const arg = await runCli(['keys', 'find', 'ak_somekey'], env, '');
    assert.equal(arg.code, 2);
    assert.match(arg.stderr, /keys find reads the key from stdin, never from an argument/);
    const empty = await runCli(['keys', 'find'], env, '\n');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no key on stdin/);
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
