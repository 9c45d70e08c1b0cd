// The secrets key across server starts, on a real server: the generated key file is reused
// after a restart, a key file others can read stops the start, a different key leaves the server
// serving (metadata works, SecretSource.get says SECRET_UNREADABLE), rotation through
// AIRLOCK_SECRET_KEY_PREVIOUS re-seals secrets and webhook tokens at start, and at trace level the
// log never holds a value.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startAirlock } from '../../src/app.js';
import type { Airlock } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';

const VALUE = 'xoxb-log-marker-9d41c7';

describe('secrets key across server starts', () => {
  let dataDir: string;
  let logText = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });

  function start(env: Record<string, string> = {}): Promise<Airlock> {
    const config = loadConfig({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_PORT: '0', AIRLOCK_POOL_SIZE: '0', ...env });
    return startAirlock(config, pino({ level: 'trace' }, sink));
  }

  async function request(airlock: Airlock, method: string, path: string, body?: unknown) {
    const res = await fetch(airlock.url + path, {
      method,
      headers: { authorization: `Bearer ${airlock.adminKey.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text };
  }

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-secrets-srv-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('generates the key file once, reuses it after a restart, and never logs a value', async () => {
    const first = await start();
    try {
      assert.equal(statSync(join(dataDir, 'secret.key')).mode & 0o777, 0o600);
      assert.match(logText, /generated the secrets master key/);
      assert.equal((await request(first, 'PUT', '/v1/tenants/acme/secrets/slack', { value: VALUE, hosts: ['slack.com'] })).status, 201);
      assert.equal((await request(first, 'PUT', '/v1/tenants/acme/secrets/slack', { value: VALUE.repeat(1000), hosts: ['slack.com'] })).status, 400);
      assert.equal((await request(first, 'PUT', '/v1/tenants/acme/secrets/slack', `{"value":"${VALUE}",`)).status, 400);
    } finally {
      await first.stop();
    }
    const keyFile = readFileSync(join(dataDir, 'secret.key'), 'utf8');
    const second = await start();
    try {
      assert.equal(readFileSync(join(dataDir, 'secret.key'), 'utf8'), keyFile);
      assert.equal((await second.secrets.get('acme', 'slack'))?.value, VALUE);
    } finally {
      await second.stop();
    }
    assert.ok(logText.length > 0);
    assert.equal(logText.includes(VALUE), false, 'no log line carries the value');
  });

  it('with another key the server still serves; only opening the value fails, naming it', async () => {
    const other = await start({ AIRLOCK_SECRET_KEY: randomBytes(32).toString('base64') });
    try {
      const meta = await request(other, 'GET', '/v1/tenants/acme/secrets/slack');
      assert.equal(meta.status, 200);
      await assert.rejects(other.secrets.get('acme', 'slack'), (err: unknown) => {
        assert.ok(isAirlockError(err));
        assert.equal(err.code, 'SECRET_UNREADABLE');
        assert.match(err.message, /secret slack of tenant acme cannot be used: .*The operator has been told/);
        // The key id is one byte: 1 random key in 256 shares it, and then only the GCM tag says "wrong key".
        assert.match(logText, /"code":"SECRET_UNREADABLE","tenant":"acme","secret":"slack","reason":"(other-key|authentication)"/);
        return true;
      });
      assert.equal((await request(other, 'GET', '/healthz')).status, 200);
    } finally {
      await other.stop();
    }
  });

  it('refuses to start when the key file is readable by others, with the chmod fix', async () => {
    const path = join(dataDir, 'secret.key');
    chmodSync(path, 0o644);
    try {
      await assert.rejects(start(), (err: unknown) => {
        assert.ok(isAirlockError(err));
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.ok(err.message.includes(`chmod 600 ${path}`), err.message);
        return true;
      });
    } finally {
      chmodSync(path, 0o600);
    }
  });

  it('rotates: with the old key in AIRLOCK_SECRET_KEY_PREVIOUS the start re-seals, then the new key alone opens it', async () => {
    const oldKey = readFileSync(join(dataDir, 'secret.key'), 'utf8').trim();
    const newKey = randomBytes(32).toString('base64');
    // A function's webhook token is sealed with the master key too.
    const before = await start();
    let token: string;
    try {
      const put = await request(before, 'PUT', '/v1/tenants/acme/functions/hook', { code: 'export default (input) => input' });
      token = (JSON.parse(put.text) as { webhook: { token: string } }).webhook.token;
      assert.match(token, /^whk_/);
    } finally {
      await before.stop();
    }
    const rotating = await start({ AIRLOCK_SECRET_KEY: newKey, AIRLOCK_SECRET_KEY_PREVIOUS: oldKey });
    await rotating.stop();
    assert.match(
      logText,
      /"resealed":\{"secrets":1,"webhookTokens":1\},"msg":"secrets and webhook tokens re-sealed with the current key; AIRLOCK_SECRET_KEY_PREVIOUS can be removed"/,
    );
    const rotated = await start({ AIRLOCK_SECRET_KEY: newKey });
    try {
      assert.equal((await rotated.secrets.get('acme', 'slack'))?.value, VALUE);
      const shown = JSON.parse((await request(rotated, 'GET', '/v1/tenants/acme/functions/hook/webhook')).text) as { token: string | null };
      assert.equal(shown.token, token, 'the webhook URL can still be shown with the new key alone');
    } finally {
      await rotated.stop();
    }
    assert.equal(logText.includes(VALUE), false);
  });
});
