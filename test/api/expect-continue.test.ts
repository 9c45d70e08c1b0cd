// `Expect: 100-continue` over raw TCP against a real server: the 100 Continue comes only after the
// checks made before the body (route, API key, tenant, webhook token, content-type, body limit),
// so a refused request gets its final answer with no 100 before it, and without its body ever
// being sent; an accepted one gets the 100, then its answer once the body is in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { openRaw, readUntilClosed } from '../support/raw-http.js';

const INVOKE = '/v1/tenants/acme/functions/echo/invoke';

/** What the server has sent on a connection, read as it comes. */
class Received {
  private text = '';
  private waiter: (() => void) | undefined;
  private closed = false;
  readonly socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.text += chunk;
      this.waiter?.();
    });
    socket.once('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.once('error', () => undefined);
  }

  /**
   * The first head (status line and headers) the server sent after `skip` characters, and where
   * it ends; fails if the connection closes first.
   */
  async head(skip = 0): Promise<{ head: string; end: number }> {
    for (;;) {
      const end = this.text.indexOf('\r\n\r\n', skip);
      if (end >= 0) return { head: this.text.slice(skip, end), end: end + 4 };
      if (this.closed) throw new Error(`the connection closed before an answer; got: ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** The whole answer whose head starts at `skip`: its status, head and body (by content-length). */
  async answer(skip = 0): Promise<{ status: number; head: string; body: string }> {
    const { head, end } = await this.head(skip);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    while (this.text.length < end + length && !this.closed) await new Promise<void>((resolve) => (this.waiter = resolve));
    return { status: status(head), head, body: this.text.slice(end, end + length) };
  }
}

function status(head: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
}

/** Sends a request's line and headers (with `Expect: 100-continue` unless told otherwise), and no body. */
async function sendHead(url: string, method: string, path: string, headers: Record<string, string>, version = '1.1') {
  const socket = await openRaw(url);
  const received = new Received(socket);
  const lines = Object.entries({ host: 'x', expect: '100-continue', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`${method} ${path} HTTP/${version}\r\n${lines}\r\n`);
  return received;
}

/** A request with a JSON body whose client waits for 100 Continue before sending the body. */
async function expectJson(url: string, method: string, path: string, body: string, headers: Record<string, string> = {}, version = '1.1') {
  return sendHead(url, method, path, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers }, version);
}

/**
 * Asserts that the server answered `expected` with no 100 Continue before it, without the body
 * having been sent, and closed the connection after it (the client may still send the body).
 */
async function assertRefusedWithout100(received: Received, expected: number, code: string): Promise<void> {
  const first = await received.head();
  assert.doesNotMatch(first.head, /^HTTP\/1\.1 100/, 'the server said "100 Continue" to a request it refuses');
  const answer = await received.answer();
  assert.equal(answer.status, expected, answer.head);
  assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, code);
  assert.match(answer.head, /\r\nconnection: close/i);
  await readUntilClosed(received.socket);
}

describe('Expect: 100-continue', () => {
  let server: TestServer;
  let token: string;
  let otherTenantKey: string;

  before(async () => {
    // Small limits, so over-limit bodies are small numbers in content-length.
    server = await startTestServer({
      AIRLOCK_MAX_INPUT_BYTES: '100000',
      AIRLOCK_DEFAULT_INPUT_BYTES: '100000',
      AIRLOCK_WEBHOOK_BODY_BYTES: '1024',
    });
    await deploy(server, 'acme', 'echo', 'export default (input) => input');
    token = (await server.request('GET', '/v1/tenants/acme/functions/echo/webhook')).body.token;
    otherTenantKey = (await server.request('POST', '/v1/tenants/globex/keys')).body.key;
  });
  after(async () => server.close());

  describe('a request that passes the checks gets 100 Continue, then its answer once the body is sent', () => {
    it('an invoke', async () => {
      const body = '{"input":{"n":42}}';
      const received = await expectJson(server.url, 'POST', INVOKE, body, { authorization: `Bearer ${server.adminKey}` });
      const first = await received.head();
      assert.match(first.head, /^HTTP\/1\.1 100 Continue$/);
      received.socket.write(body);
      const answer = await received.answer(first.end);
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual((JSON.parse(answer.body) as { result: unknown }).result, { n: 42 });
      received.socket.destroy();
    });

    it('a deploy', async () => {
      const body = JSON.stringify({ code: 'export default () => "deployed"' });
      const received = await expectJson(server.url, 'PUT', '/v1/tenants/acme/functions/fresh', body, { authorization: `Bearer ${server.adminKey}` });
      const first = await received.head();
      assert.match(first.head, /^HTTP\/1\.1 100 Continue$/);
      received.socket.write(body);
      const answer = await received.answer(first.end);
      assert.equal(answer.status, 201, answer.body); // a function deployed for the first time
      assert.match((JSON.parse(answer.body) as { version: string }).version, /^[0-9a-f]{64}$/);
      received.socket.destroy();
    });

    it('a webhook delivery with the right token', async () => {
      const body = '{"event":"ping"}';
      const received = await expectJson(server.url, 'POST', `/hooks/acme/echo/${token}`, body);
      const first = await received.head();
      assert.match(first.head, /^HTTP\/1\.1 100 Continue$/);
      received.socket.write(body);
      const answer = await received.answer(first.end);
      assert.equal(answer.status, 202, answer.body);
      assert.match((JSON.parse(answer.body) as { deliveryId: string }).deliveryId, /^dl_/);
      received.socket.destroy();
    });
  });

  describe('a refused request gets its final answer with no 100 Continue before it', () => {
    const body = '{"input":1}';

    it('no key: 401', async () => {
      await assertRefusedWithout100(await expectJson(server.url, 'POST', INVOKE, body), 401, 'UNAUTHORIZED');
    });

    it('a wrong key: 401', async () => {
      const received = await expectJson(server.url, 'POST', INVOKE, body, { authorization: 'Bearer not-a-key' });
      await assertRefusedWithout100(received, 401, 'UNAUTHORIZED');
    });

    it("another tenant's key: 403", async () => {
      const received = await expectJson(server.url, 'POST', INVOKE, body, { authorization: `Bearer ${otherTenantKey}` });
      await assertRefusedWithout100(received, 403, 'FORBIDDEN');
      const deployed = await expectJson(server.url, 'PUT', '/v1/tenants/acme/functions/theirs', JSON.stringify({ code: 'export default () => 1' }), {
        authorization: `Bearer ${otherTenantKey}`,
      });
      await assertRefusedWithout100(deployed, 403, 'FORBIDDEN');
    });

    it('an unknown route: 404', async () => {
      const received = await expectJson(server.url, 'POST', '/v1/tenants/acme/functions/echo/invok', body, { authorization: `Bearer ${server.adminKey}` });
      await assertRefusedWithout100(received, 404, 'NOT_FOUND');
      await assertRefusedWithout100(await expectJson(server.url, 'POST', '/nowhere', body), 404, 'NOT_FOUND');
    });

    for (const [what, contentType, length, status, code] of [
      ['a content-length over the route’s body limit', 'application/json', '900000', 413, 'INPUT_TOO_LARGE'],
      ['a content-type the route does not take', 'text/plain', '5', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ] as const) {
      it(`${what}: ${status}`, async () => {
        const headers = { authorization: `Bearer ${server.adminKey}`, 'content-type': contentType, 'content-length': length };
        await assertRefusedWithout100(await sendHead(server.url, 'POST', INVOKE, headers), status, code);
      });
    }

    it('a webhook URL with a wrong token, or a delivery over the webhook body limit', async () => {
      await assertRefusedWithout100(await expectJson(server.url, 'POST', `/hooks/acme/echo/${token}x`, body), 404, 'NOT_FOUND');
      await assertRefusedWithout100(await expectJson(server.url, 'POST', `/hooks/nobody/echo/${token}`, body), 404, 'NOT_FOUND');
      const large = await sendHead(server.url, 'POST', `/hooks/acme/echo/${token}`, { 'content-type': 'application/json', 'content-length': '5000' });
      await assertRefusedWithout100(large, 413, 'INPUT_TOO_LARGE');
    });
  });

  describe('everything else as before', () => {
    it('a request without a body gets its answer, with no 100 before it (there is nothing to send)', async () => {
      const received = await sendHead(server.url, 'GET', '/v1/tenants/acme/functions/echo', { authorization: `Bearer ${server.adminKey}` });
      const answer = await received.answer();
      assert.equal(answer.status, 200, answer.body);
      assert.equal((JSON.parse(answer.body) as { name: string }).name, 'echo');
      received.socket.destroy();
      const invoked = await sendHead(server.url, 'POST', INVOKE, { authorization: `Bearer ${server.adminKey}` });
      const result = await invoked.answer();
      assert.equal(result.status, 200, result.body);
      invoked.socket.destroy();
    });

    it('an Expect other than 100-continue gets 417 from Node', async () => {
      const received = await expectJson(server.url, 'POST', INVOKE, '{}', { authorization: `Bearer ${server.adminKey}`, expect: 'something-else' });
      const answer = await received.answer();
      assert.equal(answer.status, 417);
      received.socket.destroy();
    });

    it('an HTTP/1.0 request with Expect gets no 100 and is read as it comes', async () => {
      const body = '{"input":"old"}';
      const received = await expectJson(server.url, 'POST', INVOKE, body, { authorization: `Bearer ${server.adminKey}` }, '1.0');
      received.socket.write(body);
      const answer = await received.answer();
      assert.equal(answer.status, 200, answer.body);
      assert.equal((JSON.parse(answer.body) as { result: unknown }).result, 'old');
      received.socket.destroy();
    });
  });
});
