// Requests that arrive slowly or never finish, over raw TCP against a real server: a body that
// stops coming is cut at AIRLOCK_REQUEST_TIMEOUT_MS (408), a webhook URL with a wrong token is
// refused before its body is read, a client still uploading gets its refusal, and a call slower
// to answer than the timeout is not cut.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { openRaw, parseAnswer, readUntilClosed } from '../support/raw-http.js';

/** Sends the request line, headers and the first byte of a body declared `declared` bytes long, then nothing more. */
async function unfinishedBody(url: string, path: string, headers: Record<string, string>, declared: number) {
  const socket = await openRaw(url);
  const closed = readUntilClosed(socket, 30_000);
  const lines = Object.entries({ host: 'x', 'content-type': 'application/json', 'content-length': String(declared), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${lines}\r\n{`);
  const answer = parseAnswer(await closed);
  // The first answer (its content-length); `trailing` is whatever else came on the connection.
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(answer.headers)?.[1] ?? answer.body.length);
  const body = answer.body.slice(0, length);
  const trailing = answer.body.slice(length);
  return { ...answer, body, trailing, error: (JSON.parse(body || '{}') as { error?: { code: string; message: string } }).error };
}

describe('slow and unfinished requests', () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ AIRLOCK_REQUEST_TIMEOUT_MS: '1000' });
    await deploy(server, 'acme', 'echo', 'export default (input) => input');
    const hook = await server.request('GET', '/v1/tenants/acme/functions/echo/webhook');
    token = hook.body.token;
  });
  after(async () => server.close());

  it('cuts an API request whose body never finishes with 408 REQUEST_TIMEOUT and closes the connection', async () => {
    const res = await unfinishedBody(server.url, '/v1/tenants/acme/functions/echo/invoke', { authorization: `Bearer ${server.adminKey}` }, 100);
    assert.equal(res.status, 408);
    assert.equal(res.error?.code, 'REQUEST_TIMEOUT');
    assert.match(res.error!.message, /not received in time/);
  });

  it('cuts a webhook delivery with the right token whose body never finishes (408)', async () => {
    const res = await unfinishedBody(server.url, `/hooks/acme/echo/${token}`, {}, 100);
    assert.equal(res.status, 408);
    assert.equal(res.error?.code, 'REQUEST_TIMEOUT');
  });

  it('refuses a webhook URL with a wrong token as soon as its headers are in, without waiting for the body', async () => {
    // Declared 1 MiB, sent 1 byte: answered 404 from the headers alone (before, the server waited
    // for and buffered the body, and the refusal only came with the request timeout).
    const res = await unfinishedBody(server.url, `/hooks/acme/echo/${token}x`, {}, 1024 * 1024);
    assert.equal(res.status, 404);
    assert.equal(res.error?.code, 'NOT_FOUND');
    const unknown = await unfinishedBody(server.url, `/hooks/nobody/echo/${token}`, {}, 1024 * 1024);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.error?.code, 'NOT_FOUND');
    // One request, one answer: when the request timeout cuts the unfinished body after the 404
    // went out, the connection is closed without a second, unasked-for 408 answer on it.
    assert.equal(res.trailing, '');
    assert.equal(unknown.trailing, '');
  });

  it('closes a refused request whose body never finishes without a second answer after the refusal', async () => {
    const res = await unfinishedBody(server.url, '/v1/tenants/acme/functions/echo/invoke', {}, 100);
    assert.equal(res.status, 401);
    assert.equal(res.error?.code, 'UNAUTHORIZED');
    assert.equal(res.trailing, '', `a second answer followed the 401 on the same connection: ${res.trailing}`);
  });

  it('answers a wrong key while a large body is still being uploaded, without resetting the connection', async () => {
    const body = JSON.stringify({ code: `export default () => 1; // ${'x'.repeat(4 * 1024 * 1024)}` });
    for (const authorization of ['Bearer not-a-key', '']) {
      const res = await fetch(`${server.url}/v1/tenants/acme/functions/big`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization }, body });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    }
  });

  it('does not cut a call that takes longer than the request timeout to answer once its request is in', async () => {
    await deploy(server, 'acme', 'slow', 'export default async () => { await new Promise((r) => setTimeout(r, 1500)); return "done"; }', {
      limits: { timeoutMs: 5000 },
    });
    const res = await server.request('POST', '/v1/tenants/acme/functions/slow/invoke', { input: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded');
    assert.equal(res.body.result, 'done');
  });

  it('still takes a whole webhook delivery with the right token', async () => {
    const res = await fetch(`${server.url}/hooks/acme/echo/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(res.status, 202);
    const body = (await res.json()) as { deliveryId: string };
    assert.match(body.deliveryId, /^dl_/);
  });
});
