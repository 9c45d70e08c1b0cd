// The broker behaves like the standard fetch where a function would notice: compressed
// responses (sent despite `accept-encoding: identity`) are decoded on the host within the
// response cap, `redirect: 'error'` and `'manual'` are honoured, a redirect that turns the method
// into GET drops the body's headers, and a cross-origin hop drops credentials for good.
// Real HTTP to a server on 127.0.0.1 (allowed explicitly), test names from an injected resolver.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { isAirlockError } from '../../src/core/errors.js';
import { countingConnector, openSession, secretSource, startHttpServer, tableResolver } from './support.js';
import type { TestHttpServer } from './support.js';

const code = (c: string, message?: RegExp) => (e: unknown) => isAirlockError(e) && e.code === c && (message === undefined || message.test(e.message));
const json = Buffer.from(JSON.stringify({ hello: 'world' }));

describe('egress broker: standard fetch behaviour', () => {
  let server: TestHttpServer;
  before(async () => {
    server = await startHttpServer((req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (encoding: string, data: Buffer) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': data.length });
        res.end(req.method === 'HEAD' ? undefined : data);
      };
      // Every compressed route ignores the `accept-encoding: identity` the broker sends.
      if (url.pathname === '/gzip') return send('gzip', zlib.gzipSync(json));
      if (url.pathname === '/x-gzip') return send('x-gzip', zlib.gzipSync(json));
      if (url.pathname === '/br') return send('br', zlib.brotliCompressSync(json));
      if (url.pathname === '/deflate') return send('deflate', zlib.deflateSync(json));
      if (url.pathname === '/deflate-raw') return send('deflate', zlib.deflateRawSync(json));
      if (url.pathname === '/layered') return send('deflate, GZIP', zlib.gzipSync(zlib.deflateSync(json)));
      if (url.pathname === '/too-many') return send('gzip, gzip, gzip, gzip', zlib.gzipSync(zlib.gzipSync(zlib.gzipSync(zlib.gzipSync(json)))));
      if (url.pathname === '/unknown') return send('zstd', Buffer.from('opaque bytes'));
      if (url.pathname === '/corrupt') return send('gzip', Buffer.from('this is not gzip'));
      if (url.pathname === '/bomb') return send('gzip', zlib.gzipSync(Buffer.alloc(Number(url.searchParams.get('n')), 0)));
      if (url.pathname === '/echo-gzip') return send('gzip', zlib.gzipSync(JSON.stringify({ auth: req.headers.authorization ?? null })));
      if (url.pathname === '/echo') {
        res.setHeader('content-type', 'application/json');
        return void res.end(JSON.stringify({ method: req.method, body: body.toString(), headers: req.headers }));
      }
      if (url.pathname === '/redirect') {
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/echo', 'x-hop': 'first' });
        return void res.end('moved');
      }
      res.writeHead(404).end('nope');
    });
  });
  after(() => server.close());

  const policy = (limits = {}) => ({ allow: [{ host: 'api.test', ports: [server.port] }, { host: 'other.test', ports: [server.port] }], limits });
  const resolver = () => tableResolver({ 'api.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
  const url = (path: string, host = 'api.test') => `http://${host}:${server.port}${path}`;

  describe('compressed responses', () => {
    for (const path of ['/gzip', '/x-gzip', '/br', '/deflate', '/deflate-raw', '/layered']) {
      it(`decodes ${path} on the host, keeping the headers as fetch does`, async () => {
        const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector() });
        const res = await session.fetch({ method: 'GET', url: url(path), headers: [] });
        assert.equal(server.seen.at(-1)?.headers['accept-encoding'], 'identity', 'the broker still asks for no compression');
        assert.deepEqual(JSON.parse(res.body.toString()), { hello: 'world' });
        // Node's fetch decodes the body and leaves content-encoding and content-length as the server sent them.
        const sent = res.headers.find(([k]) => k === 'content-encoding')?.[1];
        assert.ok(sent !== undefined && sent !== 'identity', 'content-encoding passes through as received');
        assert.equal(session.records[0]?.bytesIn, Number(res.headers.find(([k]) => k === 'content-length')?.[1]), 'the record counts the bytes received');
      });
    }

    it('cuts off a zip bomb at the response cap with the oversized-response error', async () => {
      const session = openSession({ policy: policy({ responseBytes: 64 * 1024 }), resolver: resolver(), connector: countingConnector() });
      // ~1 KiB on the wire, 10 MiB decoded
      await assert.rejects(
        session.fetch({ method: 'GET', url: url(`/bomb?n=${10 * 1024 * 1024}`), headers: [] }),
        code('EGRESS_LIMIT', /larger than 65536 bytes \(egress\.limits\.responseBytes\)/),
      );
      assert.equal(session.records.at(-1)?.error, 'EGRESS_LIMIT');
      assert.ok((session.records.at(-1)?.bytesIn ?? 0) < 64 * 1024, 'the record counts the compressed bytes received');
      const fits = await session.fetch({ method: 'GET', url: url(`/bomb?n=${64 * 1024}`), headers: [] });
      assert.equal(fits.body.length, 64 * 1024, 'a body decoding to exactly the cap is delivered');
    });

    it('refuses more than 3 content codings, and a body that does not decode, with EGRESS_FAILED', async () => {
      const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector() });
      await assert.rejects(session.fetch({ method: 'GET', url: url('/too-many'), headers: [] }), code('EGRESS_FAILED', /4 content codings \(gzip, gzip, gzip, gzip\); at most 3/));
      await assert.rejects(session.fetch({ method: 'GET', url: url('/corrupt'), headers: [] }), code('EGRESS_FAILED', /could not be decoded \(gzip\)/));
      assert.deepEqual(session.records.map((r) => r.error), ['EGRESS_FAILED', 'EGRESS_FAILED']);
    });

    it('passes an unknown coding through untouched, and decodes nothing for HEAD', async () => {
      const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector() });
      const unknown = await session.fetch({ method: 'GET', url: url('/unknown'), headers: [] });
      assert.equal(unknown.body.toString(), 'opaque bytes');
      assert.ok(unknown.headers.some(([k, v]) => k === 'content-encoding' && v === 'zstd'));
      const head = await session.fetch({ method: 'HEAD', url: url('/gzip'), headers: [] });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
    });

    it('masks a secret echoed inside a compressed body', async () => {
      const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'tok-zipped-1' }]);
      const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector(), secrets });
      const res = await session.fetch({ method: 'GET', url: url('/echo-gzip'), headers: [['authorization', 'Bearer {{secrets.TOKEN}}']] });
      assert.deepEqual(JSON.parse(res.body.toString()), { auth: 'Bearer [secret:TOKEN]' });
    });
  });

  describe('redirect modes', () => {
    it("redirect: 'error' fails on a redirect without following it", async () => {
      const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector() });
      const seen = server.seen.length;
      await assert.rejects(
        session.fetch({ method: 'GET', url: url('/redirect?status=301'), headers: [], redirect: 'error' }),
        code('EGRESS_FAILED', /answered 301 \(a redirect to \/echo\) and the request has redirect: 'error'/),
      );
      assert.equal(server.seen.length, seen + 1, 'the redirect was not followed');
      assert.deepEqual(session.records.map((r) => [r.path, r.status, r.error]), [['/redirect', 301, 'EGRESS_FAILED']]);
      const plain = await session.fetch({ method: 'GET', url: url('/echo'), headers: [], redirect: 'error' });
      assert.equal(plain.status, 200, 'a response that is not a redirect is answered');
    });

    it("redirect: 'manual' answers the redirect itself, as Node's fetch does", async () => {
      const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector() });
      const seen = server.seen.length;
      const to = url('/echo', 'other.test');
      const res = await session.fetch({ method: 'GET', url: url(`/redirect?status=302&to=${encodeURIComponent(to)}`), headers: [], redirect: 'manual' });
      assert.equal(server.seen.length, seen + 1, 'the redirect was not followed');
      assert.equal(res.status, 302);
      assert.equal(res.headers.find(([k]) => k === 'location')?.[1], to);
      assert.equal(res.headers.find(([k]) => k === 'x-hop')?.[1], 'first');
      assert.equal(res.body.toString(), 'moved');
      assert.equal(res.url, url(`/redirect?status=302&to=${encodeURIComponent(to)}`));
      assert.equal(res.redirected, false, 'a redirect answered, not followed');
      assert.equal(session.records.length, 1);
    });

    it('a redirect that turns the method into GET drops the body and its headers; 307 keeps them', async () => {
      const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector() });
      const headers: [string, string][] = [
        ['content-type', 'application/json'], ['content-language', 'en'], ['content-location', '/doc'], ['content-encoding', 'identity'], ['x-keep', 'yes'],
      ];
      const body = new TextEncoder().encode('{"a":1}');
      const bodyHeaders = (h: Record<string, unknown>) => ['content-type', 'content-language', 'content-location', 'content-encoding', 'content-length'].filter((n) => n in h);
      for (const [status, method] of [[303, 'POST'], [303, 'PUT'], [302, 'POST'], [301, 'POST']] as const) {
        const res = await session.fetch({ method, url: url(`/redirect?status=${status}`), headers, body });
        const echoed = JSON.parse(res.body.toString()) as { method: string; body: string; headers: Record<string, string> };
        assert.equal(echoed.method, 'GET', `${method} then ${status}`);
        assert.equal(echoed.body, '');
        assert.deepEqual(bodyHeaders(echoed.headers), [], `${method} then ${status}: no body headers on the GET`);
        assert.equal(echoed.headers['x-keep'], 'yes');
      }
      const kept = JSON.parse((await session.fetch({ method: 'POST', url: url('/redirect?status=307'), headers, body })).body.toString()) as {
        method: string; body: string; headers: Record<string, string>;
      };
      assert.deepEqual([kept.method, kept.body, kept.headers['content-type'], kept.headers['content-language']], ['POST', '{"a":1}', 'application/json', 'en']);
      const put302 = JSON.parse((await session.fetch({ method: 'PUT', url: url('/redirect?status=302'), headers, body })).body.toString()) as { method: string; headers: Record<string, string> };
      assert.deepEqual([put302.method, put302.headers['content-type']], ['PUT', 'application/json'], 'a 302 after PUT keeps method and body, as fetch does');
    });

    it('a cross-origin hop drops authorization and cookie for the rest of the chain', async () => {
      const session = openSession({ policy: policy(), resolver: resolver(), connector: countingConnector() });
      // api.test → other.test/redirect → other.test/echo: the last hop is same-origin with the one before it
      const last = url('/echo', 'other.test');
      const middle = url(`/redirect?to=${encodeURIComponent(last)}`, 'other.test');
      const res = await session.fetch({
        method: 'GET', url: url(`/redirect?to=${encodeURIComponent(middle)}`), headers: [['authorization', 'Bearer literal-token'], ['cookie', 'sid=1'], ['x-keep', 'yes']],
      });
      assert.equal(res.status, 200);
      const hops = server.seen.slice(-3).map((r) => [r.headers.host, r.headers.authorization ?? null, r.headers.cookie ?? null, r.headers['x-keep']]);
      assert.deepEqual(hops, [
        [`api.test:${server.port}`, 'Bearer literal-token', 'sid=1', 'yes'],
        [`other.test:${server.port}`, null, null, 'yes'],
        [`other.test:${server.port}`, null, null, 'yes'],
      ]);
    });
  });
});
