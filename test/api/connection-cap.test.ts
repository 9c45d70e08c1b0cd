// The cap on open connections (AIRLOCK_MAX_CONNECTIONS), over raw TCP against a real server: a
// connection above it is closed unanswered and logged, and one is taken again once a held
// connection ends. The open-files reader behind the default is checked on sample files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { captureLog } from '../support/log-capture.js';
import { openRaw, rawRequest } from '../support/raw-http.js';
import { defaultMaxConnections, MAX_CONNECTIONS_CEILING, openFilesSoftLimit } from '../../src/core/open-files.js';

/** Opens a keep-alive connection and reads one answer on it, so the server has surely accepted it. */
async function heldConnection(url: string): Promise<Socket> {
  const socket = await openRaw(url);
  const answered = new Promise<string>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    socket.once('close', () => reject(new Error('the server closed a connection under the cap')));
  });
  socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
  assert.match(await answered, /^HTTP\/1\.1 200 /);
  return socket;
}

describe('connection cap', () => {
  let server: TestServer;
  const log = captureLog('warn');

  before(async () => {
    server = await startTestServer({ AIRLOCK_MAX_CONNECTIONS: '3' }, {}, log.logger);
  });
  after(async () => server.close());

  it('closes a connection above AIRLOCK_MAX_CONNECTIONS unanswered, logs it, and takes connections again once one ends', async () => {
    const held = [await heldConnection(server.url), await heldConnection(server.url), await heldConnection(server.url)];
    try {
      const refused = await rawRequest(server.url, 'GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      assert.ok(Number.isNaN(refused.status), `a fourth connection was answered: ${refused.headers}`);
      const line = await log.waitFor((l) => l.maxConnections === 3, 'about the closed connection');
      assert.equal(line.dropped, 1);
      assert.match(String(line.msg), /AIRLOCK_MAX_CONNECTIONS/);
    } finally {
      held.shift()!.destroy();
    }
    // The server notices the end of the connection on its own time: poll with a deadline.
    for (const end = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 20))) {
      const answer = await rawRequest(server.url, 'GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      if (answer.status === 200) break;
      assert.ok(Date.now() < end, 'no connection was taken after one of the held ones ended');
    }
    for (const socket of held) socket.destroy();
  });
});

describe('default connection cap', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-limits-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function limitsFile(line: string): string {
    const path = join(dir, `limits-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, `Limit                     Soft Limit           Hard Limit           Units     \n${line}\nMax processes             1000                 1000                 processes \n`);
    return path;
  }

  it('is half the open-files soft limit, at most the ceiling, and the ceiling when the limit is unknown', () => {
    assert.equal(openFilesSoftLimit(limitsFile('Max open files            4096                 8192                 files     ')), 4096);
    assert.equal(openFilesSoftLimit(limitsFile('Max open files            unlimited            unlimited            files     ')), undefined);
    assert.equal(openFilesSoftLimit(join(dir, 'missing')), undefined);
    assert.equal(defaultMaxConnections(4096), 2048);
    assert.equal(defaultMaxConnections(1_048_576), MAX_CONNECTIONS_CEILING);
    assert.equal(defaultMaxConnections(1), 1);
    assert.equal(defaultMaxConnections(undefined), MAX_CONNECTIONS_CEILING);
  });
});
