// The CLI's HTTP client against servers that are not Airlock: nothing listening, and something
// that answers with HTML. Each ends with one line naming the URL and the likely mistake.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../support/process.js';

describe('CLI client', () => {
  let html: Server;
  let htmlUrl: string;
  before(async () => {
    html = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
    });
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
  });
  after(() => html.close());

  it('says when a server answers with something that is not JSON', async () => {
    const r = await runCli(['executions', 'acme'], { AIRLOCK_URL: htmlUrl, AIRLOCK_KEY: 'ak_x' });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      `error NOT_AIRLOCK: ${htmlUrl} answered GET /v1/tenants/acme/executions with 502 and a body that is not JSON (is AIRLOCK_URL an Airlock server?): <html><body>Bad Gateway</body></html>`,
    );
  });

  it('says when nothing answers at AIRLOCK_URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCli(['executions', 'acme'], { AIRLOCK_URL: url, AIRLOCK_KEY: 'ak_x' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error UNREACHABLE: cannot reach ${url} \\(fetch failed\\); is the server running\\? set AIRLOCK_URL`));
  });
});
