// The broker against real HTTP and HTTPS servers on 127.0.0.1 (allowed with the operator's
// AIRLOCK_EGRESS_ALLOW_CIDRS equivalent), with test host names resolved by an injected resolver:
// bodies and records, pinning (one lookup per hop), TLS names, redirects, secrets and masking.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import { countingConnector, openSession, secretSource, startHttpServer, tableResolver } from './support.js';
import type { TestHttpServer } from './support.js';

const enc = new TextEncoder();
const code = (c: string) => (e: unknown) => isAirlockError(e) && e.code === c;

describe('egress broker over real HTTP', () => {
  let server: TestHttpServer;
  before(async () => {
    server = await startHttpServer((req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/hello') {
        res.setHeader('x-reply', 'yes');
        res.end(`hello ${url.searchParams.get('who') ?? ''}`);
      } else if (url.pathname === '/echo') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null, body: body.toString(), path: req.url }));
      } else if (url.pathname === '/redirect') {
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/hello' });
        res.end();
      } else {
        res.writeHead(404).end('nope');
      }
    });
  });
  after(() => server.close());

  const policy = () => ({ allow: [{ host: 'api.test', ports: [server.port] }, { host: 'other.test', ports: [server.port] }] });

  it('fetches through the pinned address and records the request without its query', async () => {
    const resolver = tableResolver({ 'api.test': ['127.0.0.1'] });
    const connector = countingConnector();
    const session = openSession({ policy: policy(), resolver, connector });
    const res = await session.fetch({ method: 'GET', url: `http://api.test:${server.port}/hello?who=world`, headers: [['x-test', '1']] });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'hello world');
    assert.ok(res.headers.some(([k, v]) => k === 'x-reply' && v === 'yes'));
    assert.deepEqual(resolver.calls, ['api.test'], 'one lookup, nothing re-resolved at connect time');
    assert.deepEqual(connector.calls, ['api.test@127.0.0.1']);
    assert.equal(server.seen.at(-1)?.headers.host, `api.test:${server.port}`);
    assert.equal(server.seen.at(-1)?.headers['x-test'], '1');
    assert.equal(session.records.length, 1);
    const [rec] = session.records;
    assert.deepEqual({ ...rec, durationMs: 0 }, {
      method: 'GET', host: 'api.test', port: server.port, path: '/hello', status: 200, bytesOut: 0, bytesIn: 11, durationMs: 0,
    });
    assert.equal(session.usedSecrets, false);
  });

  it('sends request bodies and counts their bytes', async () => {
    const session = openSession({ policy: policy(), resolver: tableResolver({ 'api.test': ['127.0.0.1'] }), connector: countingConnector() });
    const res = await session.fetch({ method: 'post', url: `http://api.test:${server.port}/echo`, headers: [['content-type', 'text/plain']], body: enc.encode('ping!') });
    assert.deepEqual(JSON.parse(res.body.toString()), { method: 'POST', auth: null, body: 'ping!', path: '/echo' });
    assert.equal(session.records[0]?.bytesOut, 5);
    assert.equal(res.redirected, false);
  });

  it('follows redirects itself, re-resolving each hop, with one record per hop', async () => {
    const resolver = tableResolver({ 'api.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
    const session = openSession({ policy: policy(), resolver, connector: countingConnector() });
    const to = encodeURIComponent(`http://other.test:${server.port}/hello?who=there`);
    const res = await session.fetch({ method: 'GET', url: `http://api.test:${server.port}/redirect?to=${to}`, headers: [] });
    assert.equal(res.body.toString(), 'hello there');
    assert.equal(res.url, `http://other.test:${server.port}/hello?who=there`);
    assert.equal(res.redirected, true);
    assert.deepEqual(resolver.calls, ['api.test', 'other.test']);
    assert.deepEqual(session.records.map((r) => [r.host, r.path, r.status]), [['api.test', '/redirect', 302], ['other.test', '/hello', 200]]);
  });

  it('turns POST into GET on 303 and keeps method and body on 307', async () => {
    const session = openSession({ policy: policy(), resolver: tableResolver({ 'api.test': ['127.0.0.1'] }), connector: countingConnector() });
    const r303 = await session.fetch({ method: 'POST', url: `http://api.test:${server.port}/redirect?status=303&to=/echo`, headers: [], body: enc.encode('x') });
    assert.deepEqual(JSON.parse(r303.body.toString()), { method: 'GET', auth: null, body: '', path: '/echo' });
    const r307 = await session.fetch({ method: 'POST', url: `http://api.test:${server.port}/redirect?status=307&to=/echo`, headers: [], body: enc.encode('x') });
    assert.deepEqual(JSON.parse(r307.body.toString()), { method: 'POST', auth: null, body: 'x', path: '/echo' });
  });

  it('gives up after 5 redirects', async () => {
    const session = openSession({ policy: policy(), resolver: tableResolver({ 'api.test': ['127.0.0.1'] }), connector: countingConnector() });
    let path = '/hello';
    for (let i = 0; i < 6; i++) path = `/redirect?to=${encodeURIComponent(path)}`;
    await assert.rejects(session.fetch({ method: 'GET', url: `http://api.test:${server.port}${path}`, headers: [] }), (e: unknown) =>
      isAirlockError(e) && e.code === 'EGRESS_FAILED' && /more than 5 redirects/.test(e.message),
    );
    assert.equal(session.records.filter((r) => r.status === 302).length, 6);
  });

  it('substitutes a secret for its bound host, masks echoes, and never records the value', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'tok-123-secret' }]);
    const session = openSession({ policy: policy(), resolver: tableResolver({ 'api.test': ['127.0.0.1'] }), connector: countingConnector(), secrets });
    const res = await session.fetch({
      method: 'GET', url: `http://api.test:${server.port}/echo?k={{secrets.TOKEN}}`, headers: [['Authorization', 'Bearer {{secrets.TOKEN}}']],
    });
    assert.equal(server.seen.at(-1)?.headers.authorization, 'Bearer tok-123-secret', 'the server received the value');
    assert.equal(server.seen.at(-1)?.url, '/echo?k=tok-123-secret');
    const echoed = JSON.parse(res.body.toString()) as { auth: string; path: string };
    assert.equal(echoed.auth, 'Bearer [secret:TOKEN]', 'an echoed value is masked before it reaches the sandbox');
    assert.equal(echoed.path, '/echo?k=[secret:TOKEN]');
    assert.ok(!res.url.includes('tok-123'));
    assert.equal(session.usedSecrets, true);
    assert.equal(session.mask('log: tok-123-secret'), 'log: [secret:TOKEN]');
    assert.ok(!JSON.stringify(session.records).includes('tok-123'));
  });

  it('fills in placeholders written with spaces inside the braces, in the path, the query and a header', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'tok-spaced' }]);
    const session = openSession({ policy: policy(), resolver: tableResolver({ 'api.test': ['127.0.0.1'] }), connector: countingConnector(), secrets });
    await session.fetch({
      method: 'GET', url: `http://api.test:${server.port}/echo/{{ secrets.TOKEN }}?k={{ secrets.TOKEN }}`, headers: [['Authorization', 'Bearer {{ secrets.TOKEN }}']],
    });
    assert.equal(server.seen.at(-1)?.headers.authorization, 'Bearer tok-spaced');
    assert.equal(server.seen.at(-1)?.url, '/echo/tok-spaced?k=tok-spaced');
  });

  it('drops a secret-bearing header when a redirect leaves the secret\'s hosts', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'tok-456' }]);
    const resolver = tableResolver({ 'api.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
    const session = openSession({ policy: policy(), resolver, connector: countingConnector(), secrets });
    const to = encodeURIComponent(`http://other.test:${server.port}/echo`);
    const res = await session.fetch({ method: 'GET', url: `http://api.test:${server.port}/redirect?to=${to}`, headers: [['x-key', '{{secrets.TOKEN}}']] });
    assert.equal(res.status, 200);
    assert.equal(server.seen.at(-2)?.headers['x-key'], 'tok-456', 'the first hop (bound host) got it');
    assert.equal(server.seen.at(-1)?.headers['x-key'], undefined, 'the redirect target did not');
  });

  it('refuses a redirect whose URL would carry a secret to an unbound host', async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'tok789' }]);
    const resolver = tableResolver({ 'api.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
    const connector = countingConnector();
    const session = openSession({ policy: policy(), resolver, connector, secrets });
    const url = `http://api.test:${server.port}/redirect?to=${encodeURIComponent(`http://other.test:${server.port}/hello?who=`)}{{secrets.TOKEN}}`;
    await assert.rejects(session.fetch({ method: 'GET', url, headers: [] }), code('EGRESS_DENIED'));
    assert.equal(connector.calls.length, 1, 'only the first hop connected');
    assert.equal(session.records.at(-1)?.error, 'EGRESS_DENIED');
  });

  // A bound host can hand a value back to a request that never carried it (it kept it from an
  // earlier one): its answers are masked, and a redirect of its to an unbound host with the value
  // in the URL is refused, like one carrying a substituted value.
  it("masks a bound secret in a bound host's answer to a request without a placeholder, and refuses its redirect carrying it", async () => {
    const secrets = secretSource([{ name: 'TOKEN', hosts: ['api.test'], value: 'tok-kept' }]);
    const resolver = tableResolver({ 'api.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
    const connector = countingConnector();
    const session = openSession({ policy: policy(), resolver, connector, secrets });
    const echoed = await session.fetch({ method: 'GET', url: `http://api.test:${server.port}/hello?who=tok-kept`, headers: [] });
    assert.equal(Buffer.from(echoed.body).toString(), 'hello [secret:TOKEN]');
    assert.equal(session.usedSecrets, true, 'results and logs of the execution are masked too');
    const to = encodeURIComponent(`http://other.test:${server.port}/hello?who=tok-kept`);
    await assert.rejects(session.fetch({ method: 'GET', url: `http://api.test:${server.port}/redirect?to=${to}`, headers: [] }), code('EGRESS_DENIED'));
    assert.equal(connector.calls.length, 2, 'the redirect was not followed');
    // Another host's answers are left as they are: the value is bound to api.test only.
    const other = openSession({ policy: policy(), resolver, connector: countingConnector(), secrets });
    const plain = await other.fetch({ method: 'GET', url: `http://other.test:${server.port}/hello?who=tok-kept`, headers: [] });
    assert.equal(Buffer.from(plain.body).toString(), 'hello tok-kept');
  });
});

describe('egress broker over real HTTPS', () => {
  let server: TestHttpServer;
  before(async () => {
    server = await startHttpServer((_req, res) => res.end('secure hello'), true);
  });
  after(() => server.close());

  it('connects to the pinned address with SNI and a certificate checked against the host name', async () => {
    const session = openSession({ policy: { allow: [{ host: 'api.test', ports: [server.port] }] }, resolver: tableResolver({ 'api.test': ['127.0.0.1'] }), connector: countingConnector() });
    const res = await session.fetch({ method: 'GET', url: `https://api.test:${server.port}/`, headers: [] });
    assert.equal(res.body.toString(), 'secure hello');
    assert.equal(server.seen.at(-1)?.servername, 'api.test');
  });

  it('fails when the certificate does not name the host', async () => {
    const session = openSession({ policy: { allow: [{ host: 'wrong.test', ports: [server.port] }] }, resolver: tableResolver({ 'wrong.test': ['127.0.0.1'] }), connector: countingConnector() });
    await assert.rejects(session.fetch({ method: 'GET', url: `https://wrong.test:${server.port}/`, headers: [] }), (e: unknown) =>
      isAirlockError(e) && e.code === 'EGRESS_FAILED' && /altnames|wrong\.test/i.test(e.message),
    );
    assert.equal(server.seen.length, 1, 'no request reached the server over the mismatched connection');
  });
});
