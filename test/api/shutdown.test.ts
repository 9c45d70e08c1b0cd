// Graceful stop as the README describes it: the listener closes at once (a new connection is
// refused) while a call already in flight still runs to its answer within the grace period; a
// request that arrives on a connection still open meanwhile is 503 SHUTTING_DOWN.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { deploy, invoke, startTestServer } from '../support/server.js';
import { openRaw, parseAnswer, readUntilClosed } from '../support/raw-http.js';

/** Resolves with the error code of a TCP connect to `url`'s port, or 'connected'. */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function waitForRunning(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (/^airlock_admission\{state="running"\} [1-9]/m.test(metrics)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the call never started running');
}

describe('graceful stop', () => {
  it('refuses new connections at once and lets the call in flight answer', async () => {
    const server = await startTestServer({ AIRLOCK_SHUTDOWN_GRACE_MS: '10000' });
    let stopped: Promise<void> | undefined;
    try {
      await deploy(server, 'acme', 'slow', 'export default async () => { await new Promise((r) => setTimeout(r, 1500)); return "done"; }');
      assert.equal(await tryConnect(server.url), 'connected', 'control: the port accepts connections before the stop');
      let answered = false;
      const call = invoke(server, 'acme', 'slow', {}).then((res) => {
        answered = true;
        return res;
      });
      await waitForRunning(server.url);
      stopped = server.airlock.stop();
      // The listener closes a moment after stop() begins (a connection that raced it is reset).
      let outcome = await tryConnect(server.url);
      for (let i = 0; i < 100 && outcome !== 'ECONNREFUSED'; i++) outcome = await tryConnect(server.url);
      assert.equal(outcome, 'ECONNREFUSED');
      assert.equal(answered, false, 'the refusal came while the call was still in flight');
      const res = await call;
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'succeeded');
      assert.equal(res.body.result, 'done');
    } finally {
      await (stopped ?? server.airlock.stop());
      await server.close();
    }
  });

  it('a request finished on a connection still open while the server stops is 503 SHUTTING_DOWN, in the API format', async () => {
    const server = await startTestServer({ AIRLOCK_SHUTDOWN_GRACE_MS: '10000' });
    let stopped: Promise<void> | undefined;
    try {
      await deploy(server, 'acme', 'slow', 'export default async () => { await new Promise((r) => setTimeout(r, 1500)); return "done"; }');
      const call = invoke(server, 'acme', 'slow', {});
      await waitForRunning(server.url);
      // Half a request: the connection is busy, so the stop does not close it as idle.
      const socket = await openRaw(server.url);
      const answer = readUntilClosed(socket);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the server read the first part
      stopped = server.airlock.stop();
      let outcome = await tryConnect(server.url);
      for (let i = 0; i < 100 && outcome !== 'ECONNREFUSED'; i++) outcome = await tryConnect(server.url);
      assert.equal(outcome, 'ECONNREFUSED', 'the server is stopping');
      socket.write('\r\n');
      const res = parseAnswer(await answer);
      assert.equal(res.status, 503, res.headers);
      assert.match(res.headers, /\r\nconnection: close/i);
      assert.deepEqual(JSON.parse(res.body), {
        error: { code: 'SHUTTING_DOWN', message: 'the server is stopping; send the request again to another server or after its restart' },
      });
      assert.equal((await call).body.status, 'succeeded', 'the call in flight still answered');
    } finally {
      await (stopped ?? server.airlock.stop());
      await server.close();
    }
  });
});
