// Rotating the admin key without a gap: with AIRLOCK_ADMIN_KEY_PREVIOUS the former key still works
// as the admin key, each request with it is counted and the first is a warning at once (later ones
// at most one a minute); an unknown key is still refused, and the variable can never hold the
// current key or something shorter than an admin key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';
import { captureLog } from '../support/log-capture.js';
import type { CapturedLog } from '../support/log-capture.js';
import { runCli } from '../support/process.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const CURRENT = 'ak_admin_current_0123456789abcdef';
const FORMER = 'ak_admin_former_0123456789abcdef';

async function previousKeyRequests(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^airlock_admin_previous_key_requests_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}

describe('admin key rotation (AIRLOCK_ADMIN_KEY_PREVIOUS)', () => {
  let server: TestServer;
  let log: CapturedLog;
  before(async () => {
    log = captureLog('info');
    server = await startTestServer({ AIRLOCK_ADMIN_KEY: CURRENT, AIRLOCK_ADMIN_KEY_PREVIOUS: ` ${FORMER} ` }, {}, log.logger);
  });
  after(() => server.close());

  it('looks the former key up as a former admin key (keys find: remove it from AIRLOCK_ADMIN_KEY_PREVIOUS), the current one as the admin key', async () => {
    const former = await server.request('POST', '/v1/keys/lookup', { key: FORMER });
    assert.deepEqual([former.status, former.body.kind, former.body.previous], [200, 'admin', true]);
    const current = await server.request('POST', '/v1/keys/lookup', { key: CURRENT });
    assert.deepEqual([current.body.kind, current.body.previous], ['admin', false]);
    const found = await runCli(['keys', 'find'], { AIRLOCK_URL: server.url, AIRLOCK_KEY: CURRENT }, `${FORMER}\n`);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^this is a former admin key, still accepted through AIRLOCK_ADMIN_KEY_PREVIOUS: remove it from AIRLOCK_ADMIN_KEY_PREVIOUS and restart the server/);
  });

  it('takes the former key as the admin key, counting and reporting its use; the current key is not counted', async () => {
    assert.match(String(log.lines().find((l) => l.previousKeys === 1)?.msg), /1 former admin key\(s\) still accepted/);
    assert.equal(await previousKeyRequests(server), 0);
    assert.equal((await server.request('GET', '/v1/tenants', undefined, CURRENT)).status, 200);
    assert.equal(await previousKeyRequests(server), 0);
    for (let i = 0; i < 3; i++) assert.equal((await server.request('GET', '/v1/tenants', undefined, FORMER)).status, 200);
    const created = await server.request('POST', '/v1/tenants/acme/keys', {}, FORMER);
    assert.equal(created.status, 201, 'it can do what only the admin key can');
    const audited = await log.waitFor((l) => l.audit === 'key.create', 'the audit line of the key made with the former key');
    assert.equal(audited.keyId, 'admin-previous');
    assert.equal(await previousKeyRequests(server), 4);
    const warnings = log.lines().filter((l) => String(l.msg).startsWith('requests made with a former admin key'));
    assert.deepEqual(warnings.map((w) => [w.level, w.requests]), [[40, 1]], 'one warning at once, the next a minute later at most');
    assert.equal((await server.request('GET', '/v1/tenants', undefined, 'ak_admin_unknown_0123456789abcdef')).status, 401);
  });

  it('refuses a former key shorter than an admin key, and the current key among the former ones', async () => {
    assert.throws(
      () => loadConfig({ AIRLOCK_ADMIN_KEY_PREVIOUS: `${FORMER},short` }),
      (err: unknown) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && /AIRLOCK_ADMIN_KEY_PREVIOUS \(entry 2\) is 5 characters long/.test(err.message),
    );
    await assert.rejects(
      startTestServer({ AIRLOCK_ADMIN_KEY: CURRENT, AIRLOCK_ADMIN_KEY_PREVIOUS: CURRENT }),
      (err: unknown) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && /holds the current admin key/.test(err.message),
    );
  });
});
