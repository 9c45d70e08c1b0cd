// airlock_api_errors_total{status,code} over real HTTP: every kind of error answer is counted once,
// by the writer that sends it (the error handler, the secrets routes' handler, the not-found
// handler, the router's refusals, the HTTP parser's), and served requests are not counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../support/raw-http.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('airlock_api_errors_total', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await deploy(server, 'acme', 'echo', 'export default async (input) => input');
  });
  after(() => server.close());

  async function errorCounts(): Promise<Map<string, number>> {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    const text = await res.text();
    const counts = new Map<string, number>();
    for (const [, labels, n] of text.matchAll(/^airlock_api_errors_total\{([^}]*)\} (\d+)$/gm)) {
      const status = /status="(\d+)"/.exec(labels!)![1]!;
      const code = /code="([A-Z_]+)"/.exec(labels!)![1]!;
      counts.set(`${status} ${code}`, Number(n));
    }
    return counts;
  }

  it('has the series operators alert on at 0 before any error', async () => {
    const counts = await errorCounts();
    assert.equal(counts.get('500 INTERNAL'), 0);
    assert.equal(counts.get('401 UNAUTHORIZED'), 0);
  });

  it('counts each error answer by status and code, and nothing for answers that succeeded', async () => {
    const before = await errorCounts();
    const ok = await server.request('POST', '/v1/tenants/acme/functions/echo/invoke', { input: 1 });
    assert.equal(ok.status, 200);
    const answers = [
      await server.request('GET', '/v1/tenants/acme/functions', undefined, null), // no key
      await server.request('GET', '/v1/tenants/acme/functions', undefined, 'ak_wrong'), // a wrong key
      await server.request('GET', '/v1/no/such/route'),
      await server.request('GET', '/v1/tenants/acme/functions/missing'),
      await server.request('POST', '/v1/tenants/acme/functions/echo/invoke', { input: 1, extra: true }),
      await server.request('POST', '/v1/tenants/acme/functions/echo/invoke', '{"input":'),
      await server.request('PUT', '/v1/tenants/acme/secrets/token', '{"value":'), // the secrets routes' own handler
      await server.request('GET', `/v1/tenants/${'a'.repeat(200)}/functions`), // refused by the router
    ];
    const raw = await rawRequest(server.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'); // by the HTTP parser
    const seen = [...answers.map((a) => `${a.status} ${a.body.error.code}`), `${raw.status} ${JSON.parse(raw.body).error.code}`];
    assert.deepEqual(seen, [
      '401 UNAUTHORIZED',
      '401 UNAUTHORIZED',
      '404 NOT_FOUND',
      '404 FUNCTION_NOT_FOUND',
      '400 VALIDATION_FAILED',
      '400 BAD_REQUEST',
      '400 BAD_REQUEST',
      '414 URI_TOO_LONG',
      '400 BAD_REQUEST',
    ]);
    const after = await errorCounts();
    const expected = new Map<string, number>();
    for (const key of seen) expected.set(key, (expected.get(key) ?? 0) + 1);
    for (const [key, n] of expected) assert.equal((after.get(key) ?? 0) - (before.get(key) ?? 0), n, key);
    const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);
    assert.equal(total(after) - total(before), seen.length, 'the successful invoke and the scrapes are not counted');
  });
});
