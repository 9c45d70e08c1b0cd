// AIRLOCK_PUBLIC_URL: webhook views (deploy, GET and rotate) carry the full URL to give a third
// party, and `airlock hooks show` prints it, instead of joining the path to the client's own
// (often internal) AIRLOCK_URL. Unset, views have no url and the CLI keeps joining.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';
import { runCli } from '../support/process.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const HOOK = { code: 'export default async (input) => input.body' };

describe('AIRLOCK_PUBLIC_URL', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0', AIRLOCK_PUBLIC_URL: 'https://hooks.example.com/' });
  });
  after(() => server.close());

  it('gives every webhook view the full public URL, and the CLI prints it', async () => {
    const deployed = await server.request('PUT', '/v1/tenants/acme/functions/inbox', HOOK);
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const { path, url } = deployed.body.webhook as { path: string; url: string };
    assert.match(path, /^\/hooks\/acme\/inbox\/whk_/);
    assert.equal(url, `https://hooks.example.com${path}`);
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions/inbox/webhook')).body.url, url);
    const shown = await runCli(['hooks', 'show', 'acme/inbox'], { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout.trim(), url);
    const rotated = await server.request('POST', '/v1/tenants/acme/functions/inbox/webhook/rotate');
    assert.equal(rotated.body.url, `https://hooks.example.com${rotated.body.path as string}`);
  });

  it('unset, views carry no url', async () => {
    const plain = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    try {
      const deployed = await plain.request('PUT', '/v1/tenants/acme/functions/inbox', HOOK);
      assert.equal('url' in deployed.body.webhook, false);
    } finally {
      await plain.close();
    }
  });

  it('refuses what is not a base URL, saying what to give', () => {
    for (const bad of ['hooks.example.com', 'ftp://hooks.example.com', 'https://hooks.example.com/?x=1', 'https://u:p@hooks.example.com']) {
      assert.throws(
        () => loadConfig({ AIRLOCK_PUBLIC_URL: bad }),
        (e: unknown) => isAirlockError(e) && e.code === 'CONFIG_INVALID' && /AIRLOCK_PUBLIC_URL=https:\/\/airlock\.example\.com/.test(e.message),
        bad,
      );
    }
    assert.equal(loadConfig({ AIRLOCK_PUBLIC_URL: 'https://example.com/airlock/' }).publicUrl, 'https://example.com/airlock');
  });
});
