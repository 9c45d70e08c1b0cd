// drainBody against a real HTTP server on 127.0.0.1: a refused body up to the bound is read to
// its end before the answer, a body declared larger is left unread, and a client that stops
// sending does not hold the answer past the time bound.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { drainBody } from '../../src/api/drain-body.js';

describe('drainBody', () => {
  let server: Server;
  let port: number;
  /** Whether each request's body had been read to its end when drainBody resolved. */
  const completed: boolean[] = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      void drainBody(req, 64 * 1024, 300).then(() => {
        completed.push(req.complete);
        res.setHeader('connection', 'close');
        res.end('refused');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function post(bytes: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': bytes } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(Buffer.alloc(bytes, 120));
    });
  }

  it('reads a body within the bound to its end before the answer', async () => {
    assert.equal(await post(48 * 1024), 'refused');
    assert.equal(completed.at(-1), true);
  });

  it('leaves a body declared larger than the bound unread', async () => {
    await post(1024 * 1024).catch(() => 'the connection broke: the body was not read');
    assert.equal(completed.at(-1), false);
  });

  it('answers after the time bound when the client stops sending', async () => {
    const socket = connect(port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.setEncoding('utf8').on('data', (d: string) => (text += d)).on('close', () => resolve(text));
    });
    socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n0123456789');
    assert.match(await answer, /^HTTP\/1\.1 200 OK[\s\S]*refused$/);
    assert.equal(completed.at(-1), false);
    socket.destroy();
  });
});
