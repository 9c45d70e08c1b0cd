// The host end of ctx.fetch (sandbox/egress-relay.ts) driven directly, with a real broker session
// and real HTTP to a server on 127.0.0.1: a `fetch-abort` closes the upstream connection, frees
// the request's place among the 16 in flight at once and is never answered; a rid the relay does
// not have in flight is ignored; a rid used again after its abort is not answered or freed by the
// aborted request's late outcome; closing the relay closes every connection still open; and a
// fetch beyond the 16 in flight or more aborts than fetches are protocol violations; and an answer
// holds its place until it has left the host, the next one going only then.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FetchFrame, FetchedFrame } from '../../src/runtime/protocol.js';
import { EgressRelay, MAX_FETCH_IN_FLIGHT } from '../../src/sandbox/egress-relay.js';
import { countingConnector, openSession, startHttpServer, until } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';

describe('egress relay aborts', () => {
  let server: TestHttpServer;
  /** Requests the server holds unanswered, by path, and whether each one's connection closed. */
  const held = new Map<string, { res: ServerResponse; closed: boolean }>();
  before(async () => {
    server = await startHttpServer((req: IncomingMessage, res) => {
      if (req.url?.startsWith('/hold/')) {
        const entry = { res, closed: false };
        held.set(req.url, entry);
        req.socket.on('close', () => (entry.closed = true));
        return;
      }
      res.end(`ok ${req.url}`);
    });
  });
  after(() => server.close());

  const relayFor = (flushAt = true) => {
    const session = openSession({
      policy: { allow: [{ host: '127.0.0.1', ports: [server.port] }], limits: { requests: 100, requestBytes: 1024, responseBytes: 1024, timeoutMs: 30_000 } },
      connector: countingConnector(),
    });
    const sent: FetchedFrame[] = [];
    /** Frames handed to the channel and not yet left the host (when `flushAt` is false). */
    const unflushed: (() => void)[] = [];
    const relay = new EgressRelay(session, (json, flushed) => {
      sent.push(JSON.parse(json) as FetchedFrame);
      if (flushAt) flushed();
      else unflushed.push(flushed);
    });
    const fetch = (rid: number, path: string) => {
      const frame: FetchFrame = { t: 'fetch', id: 'ex_test', rid, method: 'GET', url: `http://127.0.0.1:${server.port}${path}`, headers: [] };
      assert.equal(relay.handle(frame), undefined);
    };
    return { session, relay, sent, unflushed, fetch };
  };

  it('closes the aborted request’s connection, frees its place at once and never answers it', async () => {
    const { session, relay, sent, fetch } = relayFor();
    for (let rid = 1; rid <= MAX_FETCH_IN_FLIGHT; rid++) fetch(rid, `/hold/a${rid}`);
    const ours = () => [...held].filter(([path]) => path.startsWith('/hold/a'));
    await until(() => ours().length === MAX_FETCH_IN_FLIGHT, 'the server to receive the requests');
    relay.abort(1);
    assert.equal(relay.inFlightCount, MAX_FETCH_IN_FLIGHT - 1, 'its place is free before its outcome is known');
    fetch(100, '/now');
    await until(() => held.get('/hold/a1')!.closed, 'the aborted request’s connection to close');
    await until(() => sent.some((f) => f.rid === 100), 'the request started in the freed place to be answered');
    await until(() => session.records.some((r) => r.path === '/hold/a1'), 'the aborted request to settle in the broker');
    assert.deepEqual(sent.map((f) => [f.rid, f.ok]), [[100, true]], 'the aborted request was never answered');
    assert.equal(session.records.find((r) => r.path === '/hold/a1')?.error, 'EGRESS_FAILED');
    relay.close();
    await until(() => ours().every(([, h]) => h.closed), 'the rest to close with the relay');
  });

  it('ignores a rid that is not in flight: never used, or already answered', async () => {
    const { relay, sent, fetch } = relayFor();
    fetch(1, '/one');
    await until(() => sent.length === 1, 'the answer');
    fetch(2, '/hold/b2');
    fetch(3, '/three');
    await until(() => sent.length === 2 && held.has('/hold/b2'), 'the second answer and the held request');
    assert.equal(relay.abort(7), undefined, 'never used');
    assert.equal(relay.abort(1), undefined, 'already answered');
    assert.equal(relay.abort(2), undefined, 'in flight');
    assert.deepEqual(sent.map((f) => [f.rid, f.ok]), [[1, true], [3, true]]);
    assert.equal(relay.inFlightCount, 0);
    await until(() => held.get('/hold/b2')!.closed, 'the aborted request’s connection to close');
    relay.close();
  });

  it('a rid used again after its abort is neither answered nor freed by the aborted request', async () => {
    const { session, relay, sent, fetch } = relayFor();
    fetch(1, '/hold/c1');
    await until(() => held.has('/hold/c1'), 'the server to receive the first request');
    relay.abort(1);
    fetch(1, '/hold/c1-again');
    await until(() => session.records.some((r) => r.path === '/hold/c1'), 'the aborted request to settle in the broker');
    assert.equal(relay.inFlightCount, 1, 'the newer request with that rid is still in flight');
    for (let rid = 2; rid <= MAX_FETCH_IN_FLIGHT; rid++) fetch(rid, `/hold/c${rid}`);
    await until(() => held.has('/hold/c1-again'), 'the server to receive the newer request');
    held.get('/hold/c1-again')!.res.end('late but mine');
    await until(() => sent.length === 1, 'the newer request’s answer');
    const answer = sent[0]!;
    assert.equal(answer.rid, 1);
    assert.equal(answer.ok && Buffer.from(answer.body, 'base64').toString(), 'late but mine');
    relay.close();
  });

  it('keeps an answer in flight until it has left the host, hands over one at a time, and drops a waiting one that is aborted', async () => {
    const { session, relay, sent, unflushed, fetch } = relayFor(false);
    for (let rid = 1; rid <= MAX_FETCH_IN_FLIGHT; rid++) fetch(rid, `/e${rid}`);
    await until(() => session.records.length === MAX_FETCH_IN_FLIGHT, 'every request to be answered upstream');
    assert.equal(sent.length, 1, 'one answer handed to the channel, the others wait behind it');
    assert.equal(relay.inFlightCount, MAX_FETCH_IN_FLIGHT, 'answers not yet read keep their places');
    const over: FetchFrame = { t: 'fetch', id: 'ex_test', rid: 99, method: 'GET', url: `http://127.0.0.1:${server.port}/over`, headers: [] };
    assert.match(relay.handle(over) ?? '', /beyond the 16 requests in flight/, 'a sandbox that reads nothing gets no 17th request');
    const waiting = sent[0]!.rid === 2 ? 3 : 2;
    assert.equal(relay.abort(waiting), undefined);
    assert.equal(relay.inFlightCount, MAX_FETCH_IN_FLIGHT - 1, 'an aborted answer frees its place at once');
    unflushed.shift()!();
    assert.equal(sent.length, 2, 'the next answer goes once the one before it has left');
    assert.equal(relay.inFlightCount, MAX_FETCH_IN_FLIGHT - 2);
    while (unflushed.length > 0) unflushed.shift()!();
    assert.equal(sent.length, MAX_FETCH_IN_FLIGHT - 1);
    assert.equal(sent.some((f) => f.rid === waiting), false, 'the aborted answer was never sent');
    assert.equal(relay.inFlightCount, 0);
    relay.close();
  });

  it('refuses frames an honest harness never sends: a fetch beyond the requests in flight, more aborts than fetches', async () => {
    const { relay, sent, fetch } = relayFor();
    for (let rid = 1; rid <= MAX_FETCH_IN_FLIGHT; rid++) fetch(rid, `/hold/d${rid}`);
    const over: FetchFrame = { t: 'fetch', id: 'ex_test', rid: 99, method: 'GET', url: `http://127.0.0.1:${server.port}/over`, headers: [] };
    assert.match(relay.handle(over) ?? '', /^fetch frame beyond the 16 requests in flight the harness allows$/);
    assert.equal(relay.inFlightCount, MAX_FETCH_IN_FLIGHT, 'the refused frame started nothing');
    for (let rid = 1; rid <= MAX_FETCH_IN_FLIGHT; rid++) assert.equal(relay.abort(rid), undefined, `abort ${rid}`);
    assert.equal(relay.abort(1), 'more fetch-abort frames (17) than fetch frames (16)');
    assert.equal(sent.length, 0, 'nothing was answered');
    relay.close();
  });
});
