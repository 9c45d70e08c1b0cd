// AIRLOCK_TRUST_PROXY: behind a listed proxy, refused-request (and audit) lines name the client
// from X-Forwarded-For; without it the header is ignored, so a client cannot make up its address.
// (The forwarded address is only a header here: nothing is sent to it.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';
import { captureLog } from '../support/log-capture.js';
import { startTestServer } from '../support/server.js';

/** The `remote` of the refusal line a request with a wrong key and X-Forwarded-For leaves. */
async function remoteOfRefusal(env: Record<string, string>): Promise<unknown> {
  const log = captureLog('info');
  const server = await startTestServer({ AIRLOCK_POOL_SIZE: '0', ...env }, {}, log.logger);
  try {
    const res = await fetch(`${server.url}/v1/tenants/acme/functions`, {
      headers: { authorization: 'Bearer ak_wrong_key_0123456789', 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(res.status, 401);
    return (await log.waitFor((l) => l.code === 'UNAUTHORIZED' && 'remote' in l, 'the refusal line')).remote;
  } finally {
    await server.close();
  }
}

describe('AIRLOCK_TRUST_PROXY', () => {
  it('behind a listed proxy, a refusal names the client the proxy forwarded', async () => {
    assert.equal(await remoteOfRefusal({ AIRLOCK_TRUST_PROXY: '127.0.0.1' }), '203.0.113.9');
  });

  it('unset, X-Forwarded-For is ignored: the line names the connection\'s own address', async () => {
    assert.equal(await remoteOfRefusal({}), '127.0.0.1');
  });

  it('refuses what is not an address or range, saying what to write', () => {
    for (const bad of ['proxy.internal', '10.0.0.0/33', '127.1']) {
      assert.throws(
        () => loadConfig({ AIRLOCK_TRUST_PROXY: `127.0.0.1,${bad}` }),
        (e: unknown) => isAirlockError(e) && e.code === 'CONFIG_INVALID' && e.message.includes(JSON.stringify(bad)) && /AIRLOCK_TRUST_PROXY=127\.0\.0\.1,10\.0\.0\.0\/8/.test(e.message),
        bad,
      );
    }
    assert.deepEqual(loadConfig({ AIRLOCK_TRUST_PROXY: ' 10.0.0.0/8 , ::1 ' }).trustProxy, ['10.0.0.0/8', '::1']);
  });
});
