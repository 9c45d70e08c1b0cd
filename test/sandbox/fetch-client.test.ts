// The sandbox end of ctx.fetch (runtime/fetch-client.mts) driven directly in a Node process of
// its own started with --expose-gc: an abort reaches a request in flight even after a garbage
// collection (Node's `new Request(…).signal` follows the caller's signal only through a WeakRef,
// so listening on it lost aborts once the Request was collected) and sends a `fetch-abort` frame
// for it, and a request that settles leaves no listener behind on the caller's signal.
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

  it('refuses a request beyond maxInFlight unanswered ones itself, sending no frame, and takes one again once an answer frees a place', async () => {
    const result = await inGcProcess(`
      const held = Array.from({ length: 16 }, (_, i) => outcome(client.fetch('http://127.0.0.1:9/h' + i)));
      await turn();
      const sentBefore = frames.length;
      let refusal;
      try { await client.fetch('http://127.0.0.1:9/over'); } catch (e) { refusal = [e.code, e.message]; }
      const sentAfterRefusal = frames.length;
      const first = frames[0];
      client.onFetched({ t: 'fetched', rid: first.rid, ok: true, status: 200, statusText: 'OK', url: first.url, headers: [], body: '' });
      const next = outcome(client.fetch('http://127.0.0.1:9/next'));
      await turn();
      const sentAfterAnswer = frames.length;
      client.end();
      await Promise.all([...held, next]);
      console.log(JSON.stringify({ sentBefore, refusal, sentAfterRefusal, sentAfterAnswer }));
    `);
    assert.deepEqual(result, {
      sentBefore: 16,
      refusal: ['EGRESS_LIMIT', 'at most 16 requests may be in flight at once; await some before starting more'],
      sentAfterRefusal: 16,
      sentAfterAnswer: 17,
    });
  });
});
