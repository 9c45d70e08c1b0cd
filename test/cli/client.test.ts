// The CLI's HTTP client against servers that are not Airlock: nothing listening, and something
// that answers with HTML. Each ends with one line naming the URL and the likely mistake. An
// AIRLOCK_URL that is not an http(s) base URL is a usage error before any request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tlsFailure } from '../../src/cli/client.js';
import { runCli } from '../support/process.js';

describe('CLI client', () => {
  let html: Server;
  let htmlUrl: string;
  let requests = 0;
  before(async () => {
    html = createServer((_req, res) => {
      requests++;
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
    assert.match(r.stderr, new RegExp(`^error UNREACHABLE: cannot reach ${url} \\(ECONNREFUSED\\); is the server running\\? set AIRLOCK_URL`));
  });

  it('says that nothing was sent when an https URL meets a plain HTTP server, and which URL to set', async () => {
    const before = requests;
    const url = htmlUrl.replace('http:', 'https:');
    const r = await runCli(['invoke', 'acme/hello', '--input', '{}'], { AIRLOCK_URL: url, AIRLOCK_KEY: 'ak_x' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error UNREACHABLE: cannot set up TLS with https:\/\/127\.0\.0\.1:\d+ \(ERR_SSL_[A-Z_]+\): nothing was sent; /);
    assert.ok(r.stderr.includes(`set AIRLOCK_URL=${htmlUrl}`), r.stderr);
    assert.doesNotMatch(r.stderr, /may or may not have taken effect/);
    assert.equal(requests, before, 'no request reached the server');
  });

  it('tells a certificate refusal from a protocol mismatch (a hostname mismatch is about the certificate)', () => {
    for (const code of ['ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED']) {
      assert.equal(tlsFailure(code), 'certificate', code);
    }
    for (const code of ['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO']) assert.equal(tlsFailure(code), 'protocol', code);
    assert.equal(tlsFailure('ECONNRESET'), undefined);
  });

  it('refuses a key no HTTP header can carry before any request, instead of calling it a lost connection', async () => {
    const before = requests;
    for (const key of ['ak_\x01bad', 'ak_with space', 'ak_caf\u00e9']) {
      const r = await runCli(['executions', 'acme'], { AIRLOCK_URL: htmlUrl, AIRLOCK_KEY: key });
      assert.equal(r.code, 2, `${JSON.stringify(key)}: ${r.stderr}`);
      assert.match(r.stderr, /^the key in AIRLOCK_KEY holds a space, a control character or a non-ASCII character, which no key has: copy the key again/);
    }
    assert.equal(requests, before, 'no request was sent');
  });

  it('says when the connection breaks after the request went out: the call may have run', async () => {
    let received = 0;
    const dropping = createServer((req) => {
      received++;
      req.socket.destroy(); // as a server killed mid-call would
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
    try {
      const r = await runCli(['invoke', 'acme/hello', '--input', '{}'], { AIRLOCK_URL: url, AIRLOCK_KEY: 'ak_x' });
      assert.equal(r.code, 1);
      assert.equal(received, 1, 'the request reached the server');
      assert.match(r.stderr, new RegExp(`^error CONNECTION_LOST: the connection to ${url} broke before POST /v1/tenants/acme/functions/hello/invoke was answered \\(\\w+\\)`));
      assert.match(r.stderr, /may or may not have taken effect; check before retrying/);
    } finally {
      await new Promise<void>((resolve) => dropping.close(() => resolve()));
    }
  });

  it('refuses an AIRLOCK_URL without http:// or https://, suggesting the URL it probably meant', async () => {
    const port = new URL(htmlUrl).port;
    const cases: { url: string; message: string }[] = [
      { url: `127.0.0.1:${port}`, message: `AIRLOCK_URL must be an http(s) URL, e.g. AIRLOCK_URL=${htmlUrl} (got "127.0.0.1:${port}")` },
      { url: `localhost:${port}`, message: `AIRLOCK_URL must be an http(s) URL, e.g. AIRLOCK_URL=http://localhost:${port} (got "localhost:${port}")` },
      { url: `ftp://127.0.0.1:${port}`, message: `AIRLOCK_URL must be an http(s) URL, e.g. AIRLOCK_URL=http://127.0.0.1:8080 (got "ftp://127.0.0.1:${port}")` },
    ];
    for (const { url, message } of cases) {
      const before = requests;
      const r = await runCli(['executions', 'acme'], { AIRLOCK_URL: url, AIRLOCK_KEY: 'ak_x' });
      assert.deepEqual(r, { code: 2, stdout: '', stderr: `${message}\n` }, url);
      assert.equal(requests, before, 'no request was sent');
    }
  });

  it('refuses an AIRLOCK_URL with a path or query: it is the base URL the CLI adds /v1/… to', async () => {
    for (const suffix of ['/v1', '/v1/tenants/acme', '/?tenant=acme']) {
      const before = requests;
      const r = await runCli(['executions', 'acme'], { AIRLOCK_URL: htmlUrl + suffix, AIRLOCK_KEY: 'ak_x' });
      const message = `AIRLOCK_URL is the server's base URL, without a path or query: set AIRLOCK_URL=${htmlUrl} (got "${htmlUrl}${suffix}")`;
      assert.deepEqual(r, { code: 2, stdout: '', stderr: `${message}\n` }, suffix);
      assert.equal(requests, before, 'no request was sent');
    }
  });

  it('takes the base URL with a trailing slash, adding no second slash', async () => {
    const r = await runCli(['executions', 'acme'], { AIRLOCK_URL: `${htmlUrl}/`, AIRLOCK_KEY: 'ak_x' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error NOT_AIRLOCK: ${htmlUrl} answered GET /v1/tenants/acme/executions with 502`));
  });
});
