// The sandbox end of ctx.fetch (runtime/fetch-client.mts) driven directly in a Node process of
// its own started with --expose-gc: an abort reaches a request in flight even after a garbage
// collection (Node's `new Request(…).signal` follows the caller's signal only through a WeakRef,
// so listening on it lost aborts once the Request was collected) and sends a `fetch-abort` frame
// for it, a request that settles leaves no listener behind on the caller's signal, and requests
// beyond maxInFlight wait in a queue whose frames go out in order as places free (after the
// fetch-abort that freed one), never for one aborted while queued or withdrawn by the run's end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const CLIENT_URL = new URL('../../src/runtime/fetch-client.mjs', import.meta.url).href;

/** Runs `body` (ES module code with `client`, `frames`, `turn()` in scope) under --expose-gc; returns what it prints. */
async function inGcProcess(body: string): Promise<unknown> {
  const script = `
    import { createFetchClient } from ${JSON.stringify(CLIENT_URL)};
    import { getEventListeners } from 'node:events';
    const frames = [];
    const client = createFetchClient({
      send: (json) => frames.push(JSON.parse(json)), stringify: JSON.stringify, bufferFrom: Buffer.from,
      RequestClass: Request, ResponseClass: Response, nativeFetch: fetch, describe: String,
    });
    client.begin({ id: 'ex_1', requestBytes: 1024, maxInFlight: 16, owns: () => true });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const outcome = (promise) => promise.then(() => 'answered', (e) => (typeof e.code === 'string' ? e.code : e.name));
    ${body}
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { timeout: 60_000 });
  return JSON.parse(stdout) as unknown;
}

describe('fetch client aborts', () => {
  it('rejects a request in flight with the abort reason after a garbage collection (init.signal, Request signal, AbortSignal.timeout) and tells the host', async () => {
    const result = await inGcProcess(`
      const out = {};
      const cases = {
        initSignal: (signal) => client.fetch('http://127.0.0.1:9/a', { signal }),
        requestSignal: (signal) => client.fetch(new Request('http://127.0.0.1:9/b', { signal })),
        postWithBody: (signal) => client.fetch('http://127.0.0.1:9/c', { method: 'POST', body: 'x', signal }),
      };
      for (const [name, start] of Object.entries(cases)) {
        const controller = new AbortController();
        const settled = outcome(start(controller.signal));
        await turn(); // the turn that created the Request is over (WeakRefs no longer pinned)
        gc();
        controller.abort();
        await turn();
        client.end(); // still waiting now: the abort was lost
        out[name] = await settled;
        client.begin({ id: 'ex_1', requestBytes: 1024, maxInFlight: 16, owns: () => true });
      }
      const keepAlive = setInterval(() => {}, 60_000); // AbortSignal.timeout's timer does not hold the process open
      const timeout = AbortSignal.timeout(20);
      const fired = new Promise((resolve) => timeout.addEventListener('abort', resolve));
      const timed = outcome(client.fetch('http://127.0.0.1:9/d', { signal: timeout }));
      await turn();
      gc();
      await fired;
      clearInterval(keepAlive);
      await turn();
      client.end();
      out.timeout = await timed;
      out.frames = frames.map((f) => (f.t === 'fetch' ? f.url : [f.t, f.id, f.rid]));
      console.log(JSON.stringify(out));
    `);
    assert.deepEqual(result, {
      initSignal: 'AbortError',
      requestSignal: 'AbortError',
      postWithBody: 'AbortError',
      timeout: 'TimeoutError',
      // Each abort tells the host right away (a fetch-abort frame for the request's rid).
      frames: [
        'http://127.0.0.1:9/a', ['fetch-abort', 'ex_1', 1], 'http://127.0.0.1:9/b', ['fetch-abort', 'ex_1', 2],
        'http://127.0.0.1:9/c', ['fetch-abort', 'ex_1', 3], 'http://127.0.0.1:9/d', ['fetch-abort', 'ex_1', 4],
      ],
    });
  });

  it('sends nothing for a signal already aborted, and leaves no listener on a shared signal once requests settle', async () => {
    const result = await inGcProcess(`
      const aborted = AbortSignal.abort();
      const before = await outcome(client.fetch('http://127.0.0.1:9/x', { signal: aborted }));
      const sent = frames.length;
      const shared = new AbortController();
      const all = [1, 2, 3].map(() => outcome(client.fetch('http://127.0.0.1:9/y', { signal: shared.signal })));
      await turn();
      const during = getEventListeners(shared.signal, 'abort').length;
      for (const f of frames) client.onFetched({ t: 'fetched', rid: f.rid, ok: true, status: 200, statusText: 'OK', url: f.url, headers: [], body: '' });
      const answers = await Promise.all(all);
      const removed = during - getEventListeners(shared.signal, 'abort').length;
      // A request the run's end withdrew is not aborted again on the host (the run's end aborts it there).
      const late = new AbortController();
      const withdrawn = outcome(client.fetch('http://127.0.0.1:9/z', { signal: late.signal }));
      const beforeEnd = frames.length;
      client.end();
      late.abort();
      console.log(JSON.stringify({ before, sent, answers, removed, withdrawn: await withdrawn, after: frames.length - beforeEnd }));
    `);
    // The client's own listener of each request is gone (Node's listeners of each Request stay until it is collected).
    assert.deepEqual(result, { before: 'AbortError', sent: 0, answers: ['answered', 'answered', 'answered'], removed: 3, withdrawn: 'EGRESS_FAILED', after: 0 });
  });

  it('queues requests beyond maxInFlight in call order: one goes out as one settles, after the fetch-abort that freed its place; aborted or withdrawn ones never go out', async () => {
    const result = await inGcProcess(`
      const url = (p) => 'http://127.0.0.1:9/' + p;
      const holder = new AbortController();
      const held = Array.from({ length: 16 }, (_, i) => outcome(client.fetch(url('h' + i), i === 1 ? { signal: holder.signal } : undefined)));
      const queuedAbort = new AbortController();
      const reason = new Error('not needed');
      const q0 = outcome(client.fetch(url('q0')));
      const q1 = client.fetch(url('q1'), { signal: queuedAbort.signal }).then(() => 'answered', (e) => (e === reason ? 'the reason' : String(e)));
      const q2 = outcome(client.fetch(url('q2'), { method: 'POST', body: 'x' })); // its body is read before it queues
      await turn();
      const q3 = outcome(client.fetch(url('q3')));
      await turn();
      const sentAtFirst = frames.length;
      queuedAbort.abort(reason);
      const aborted = await q1;
      const afterQueuedAbort = frames.length;
      client.onFetched({ t: 'fetched', rid: frames[0].rid, ok: true, status: 200, statusText: 'OK', url: frames[0].url, headers: [], body: '' });
      holder.abort();
      await turn();
      client.end();
      const outcomes = await Promise.all([...held, q0, q2, q3]);
      const later = frames.length;
      await turn();
      console.log(JSON.stringify({
        sentAtFirst, aborted, afterQueuedAbort,
        next: frames.slice(16).map((f) => (f.t === 'fetch' ? [f.url, f.rid, f.body ?? null] : [f.t, f.rid])),
        outcomes: { h0: outcomes[0], h1: outcomes[1], h2: outcomes[2], q0: outcomes[16], q2: outcomes[17], q3: outcomes[18] },
        afterEnd: frames.length - later,
      }));
    `);
    assert.deepEqual(result, {
      sentAtFirst: 16,
      aborted: 'the reason',
      afterQueuedAbort: 16, // no fetch nor fetch-abort frame for a request that never left the queue
      // The answer to h0 sends q0; aborting h1 sends its fetch-abort, then q2 (q1 left the queue).
      next: [['http://127.0.0.1:9/q0', 17, null], ['fetch-abort', 2], ['http://127.0.0.1:9/q2', 19, 'eA==']],
      outcomes: { h0: 'answered', h1: 'AbortError', h2: 'EGRESS_FAILED', q0: 'EGRESS_FAILED', q2: 'EGRESS_FAILED', q3: 'EGRESS_FAILED' },
      afterEnd: 0,
    });
  });

  it('never sends a request queued during one run while another runs: it is rejected when its turn comes', async () => {
    const result = await inGcProcess(`
      const url = (p) => 'http://127.0.0.1:9/' + p;
      const held = Array.from({ length: 16 }, (_, i) => outcome(client.fetch(url('a' + i))));
      const stale = client.fetch(url('stale')).then(() => 'answered', (e) => [e.code, e.message]);
      await turn();
      // The harness always ends a run before the next begins; this checks the queue's own guard.
      client.begin({ id: 'ex_2', requestBytes: 1024, maxInFlight: 16, owns: () => true });
      client.onFetched({ t: 'fetched', rid: frames[0].rid, ok: true, status: 200, statusText: 'OK', url: frames[0].url, headers: [], body: '' });
      const own = outcome(client.fetch(url('b')));
      await turn();
      const sent = frames.slice(16).map((f) => [f.id, f.url]);
      client.end();
      await Promise.all([...held, own]);
      console.log(JSON.stringify({ stale: await stale, sent }));
    `);
    assert.deepEqual(result, {
      stale: ['EGRESS_FAILED', 'the execution ended'],
      sent: [['ex_2', 'http://127.0.0.1:9/b']],
    });
  });
});
