// A lost secrets master key on a real server (bwrap, SQLite, egress to a 127.0.0.1 server): with
// secret.key gone and no AIRLOCK_SECRET_KEY, a start over a database holding sealed values stops
// with CONFIG_INVALID counting them by key id (and writes no new key); an explicitly new key
// starts with a warning counting them, and then a function using the secret is told it cannot be
// used and that the operator knows, while the server log gets SECRET_UNREADABLE with the key ids; giving the old key back
// (AIRLOCK_SECRET_KEY, or AIRLOCK_SECRET_KEY_PREVIOUS with a new key generated) makes it work again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAirlockError } from '../../src/core/errors.js';
import { parseSecretKey } from '../../src/core/secret-key.js';
import { sealingKey } from '../../src/services/secrets/crypto.js';
import { startHttpServer } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const VALUE = 'sk-lost-key-marker-3c81f2';
const CALLER = `export default async (input) => {
  try {
    const res = await fetch(input.url, { headers: { authorization: 'Bearer {{secrets.token}}' } });
    return { ok: true, body: await res.text() };
  } catch (err) {
    return { ok: false, message: String(err && err.message) };
  }
};`;

describe('a lost secrets master key', () => {
  let dataDir: string;
  let target: TestHttpServer;
  let oldKey: string;
  let oldKeyId: number;
  const log = captureLog('info');

  async function start(env: Record<string, string> = {}): Promise<TestServer> {
    return startTestServer({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_POOL_SIZE: '0', AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32', ...env }, {}, log.logger);
  }
  async function call(server: TestServer): Promise<{ ok: boolean; body?: string; message?: string }> {
    const res = await invoke(server, 'acme', 'caller', { url: `http://127.0.0.1:${target.port}/whoami` });
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    return res.body.result;
  }
  /** The call reaches the target with the value filled in (and masked in the result). */
  async function works(server: TestServer): Promise<void> {
    assert.deepEqual(await call(server), { ok: true, body: 'token Bearer [secret:token]' });
    assert.equal(target.seen.at(-1)?.headers.authorization, `Bearer ${VALUE}`);
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-lost-key-'));
    target = await startHttpServer((req, res) => void res.end(`token ${req.headers.authorization ?? 'none'}`));
    const first = await start();
    try {
      const put = await first.request('PUT', '/v1/tenants/acme/secrets/token', { value: VALUE, hosts: ['127.0.0.1'] });
      assert.equal(put.status, 201);
      await deploy(first, 'acme', 'caller', CALLER, { egress: { allow: [{ host: '127.0.0.1', ports: [target.port] }] } });
      await works(first);
    } finally {
      await first.close();
    }
    oldKey = readFileSync(join(dataDir, 'secret.key'), 'utf8').trim();
    oldKeyId = sealingKey(parseSecretKey(oldKey, 'test')).id;
    renameSync(join(dataDir, 'secret.key'), join(dataDir, 'secret.key.lost'));
  });
  after(async () => {
    await target.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start without a key when values are sealed, counting them by key id, and writes no key', async () => {
    await assert.rejects(start(), (err: unknown) => {
      assert.ok(isAirlockError(err));
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.ok(err.message.includes(`1 secret and 1 webhook token under key id ${oldKeyId}, sealed with a master key this server is not given`), err.message);
      assert.ok(err.message.includes(`restore secret.key from your backup to ${join(dataDir, 'secret.key')}`), err.message);
      assert.match(err.message, /set AIRLOCK_SECRET_KEY to it/);
      assert.deepEqual(err.details, { sealed: [{ keyId: oldKeyId, secrets: 1, webhookTokens: 1 }] });
      return true;
    });
    assert.equal(existsSync(join(dataDir, 'secret.key')), false, 'no new key was generated');
  });

  it('with a new key set on purpose it starts; a call using the secret is told the operator knows, the log has the key ids', async () => {
    let newKey = randomBytes(32);
    while (sealingKey(newKey).id === oldKeyId) newKey = randomBytes(32);
    const server = await start({ AIRLOCK_SECRET_KEY: newKey.toString('base64') });
    try {
      const warned = log.lines().find((l) => l.code === 'SECRET_UNREADABLE' && Array.isArray(l.sealed));
      assert.deepEqual(warned?.sealed, [{ keyId: oldKeyId, secrets: 1, webhookTokens: 1 }], 'the start already warned');
      assert.equal(warned?.level, 40);
      const health = await server.request('GET', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'degraded');
      assert.deepEqual(health.body.problems.map((p: { check: string }) => p.check), ['secrets']);
      assert.match(health.body.problems[0].problem, /sealed with a master key this server is not given/);
      const seen = target.seen.length;
      const result = await call(server);
      assert.equal(result.ok, false);
      assert.match(result.message!, /secret token of tenant acme cannot be used: the server cannot decrypt its stored value\. The operator has been told/);
      assert.doesNotMatch(result.message!, /AIRLOCK_SECRET_KEY|master key|key id/);
      assert.equal(target.seen.length, seen, 'nothing was sent');
      const line = await log.waitFor((l) => l.code === 'SECRET_UNREADABLE' && l.secret === 'token', 'SECRET_UNREADABLE');
      assert.deepEqual(
        [line.level, line.tenant, line.secret, line.reason, line.sealedKeyId, line.currentKeyId, line.previousKeyIds],
        [50, 'acme', 'token', 'other-key', oldKeyId, sealingKey(newKey).id, []],
      );
      assert.match(String(line.msg), /add that key to AIRLOCK_SECRET_KEY_PREVIOUS and restart/);
    } finally {
      await server.close();
    }
  });

  it('with the old key given back it works again: as AIRLOCK_SECRET_KEY, or as AIRLOCK_SECRET_KEY_PREVIOUS (a new key is made and everything re-sealed)', async () => {
    const given = await start({ AIRLOCK_SECRET_KEY: oldKey });
    try {
      await works(given);
    } finally {
      await given.close();
    }
    const rotated = await start({ AIRLOCK_SECRET_KEY_PREVIOUS: oldKey });
    try {
      assert.equal(existsSync(join(dataDir, 'secret.key')), true, 'a new key was generated: the previous key opens everything');
      await works(rotated);
      assert.match(log.text(), /re-sealed with the current key; AIRLOCK_SECRET_KEY_PREVIOUS can be removed/);
    } finally {
      await rotated.close();
    }
    const newId = sealingKey(parseSecretKey(readFileSync(join(dataDir, 'secret.key'), 'utf8'), 'test')).id;
    assert.ok(log.lines().some((l) => l.msg === 'secrets master key' && l.keyId === newId && l.from === 'file'));
    assert.equal(log.text().includes(VALUE), false, 'the log never holds the value');
    assert.equal(log.text().includes(oldKey), false, 'nor a key');
  });
});
