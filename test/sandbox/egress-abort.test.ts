// Aborting ctx.fetch in a real bwrap sandbox reaches the host: the upstream connection of a
// request the function aborted closes while the run goes on (whether the server was holding its
// answer or was part-way through the body), its place among the 16 requests in flight is free at
// once, a run that ends with requests in flight has their connections closed, and forged
// `fetch-abort` frames can touch nothing but the forging run's own requests.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { until } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';
import { loopbackGrant, startEgressRig, stopEgressRig } from './egress-grant.js';
import { FRAME_WRITER, request } from './support.js';
import type { Tracker } from './support.js';

describe('ctx.fetch aborts reach the host, in a bwrap sandbox', () => {
  let server: TestHttpServer;
  let tracker: Tracker;
  let base: string;
  /** Requests the server holds (`/hold/…`, `/trickle/…`), by path, and whether each connection closed. */
  const held = new Map<string, { res: ServerResponse; closed: boolean }>();
  /** Answers waiting for a held request to arrive (`/when-held/…`) or to close (`/when-closed/…`). */
  const waiters: { path: string; until: 'held' | 'closed'; res: ServerResponse }[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) {
      const h = held.get(w.path);
      if (h !== undefined && (w.until === 'held' || h.closed)) w.res.end(w.until);
      else waiters.push(w);
    }
  };

  before(async () => {
    ({ tracker, server, base } = await startEgressRig((req, res) => {
      const url = req.url ?? '';
      const wait = /^\/when-(held|closed)(\/.*)$/.exec(url);
      if (wait !== null) {
        waiters.push({ path: wait[2]!, until: wait[1] as 'held' | 'closed', res });
        return wake();
      }
      if (url.startsWith('/hold/') || url.startsWith('/trickle/')) {
        const entry = { res, closed: false };
        held.set(url, entry);
        req.socket.on('close', () => {
          entry.closed = true;
          wake();
        });
        // A trickle: the headers and the start of a body, the rest never comes.
        if (url.startsWith('/trickle/')) {
          res.writeHead(200, { 'content-length': 100_000 });
          res.write('x'.repeat(1000));
        }
        return wake();
      }
      res.end(`ok ${url}`);
    }));
  });
  after(() => stopEgressRig({ tracker, server }));

  const granted = (code: string, input: unknown) => loopbackGrant(server.port, code, input);

  // The function aborts its request once the server has it, waits (at most 5 s) for the server to
  // see that request's connection close, then starts 16 requests at once: all fit only if the
  // aborted one no longer counts.
  const abortThenSixteen = `export default async (input, ctx) => {
    const controller = new AbortController();
    const aborted = ctx.fetch(input.base + input.path, { signal: controller.signal }).then(() => 'answered', (e) => e.name);
    await ctx.fetch(input.base + '/when-held' + input.path);
    controller.abort();
    const first = await aborted;
    const upstream = await ctx.fetch(input.base + '/when-closed' + input.path, { signal: AbortSignal.timeout(5000) })
      .then((r) => r.text(), (e) => 'still open (' + e.name + ')');
    const sixteen = await Promise.all(Array.from({ length: 16 }, (_, i) => ctx.fetch(input.base + '/ok/' + i).then((r) => r.status, (e) => e.code)));
    return { first, upstream, sixteen };
  };`;

  for (const [what, path] of [['while the server holds its answer', '/hold/one'], ['part-way through the body', '/trickle/two']] as const) {
    it(`an abort ${what} closes the upstream connection during the run and frees its place at once`, async () => {
      const sb = await tracker.spawn();
      const req = granted(abortThenSixteen, { base, path });
      const outcome = await sb.run(req);
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.deepEqual(outcome.result, { first: 'AbortError', upstream: 'closed', sixteen: Array.from({ length: 16 }, () => 200) });
      assert.equal(held.get(path)?.closed, true);
      const aborted = req.egress.records.find((r) => r.path === path);
      assert.equal(aborted?.error, 'EGRESS_FAILED', 'the aborted request is recorded as failed');
      assert.equal(sb.alive, true);
    });
  }

  it('a 17th request while 16 wait is queued inside the sandbox and goes out once an abort frees a place', async () => {
    const sb = await tracker.spawn();
    // The harness sends the queued request's frame right after the fetch-abort that freed its
    // place: the other way round the host would see 17 unanswered requests and end the run.
    const code = `export default async (input, ctx) => {
      const first = new AbortController();
      const aborted = ctx.fetch(input.base + '/hold/seventeen-0', { signal: first.signal }).then(() => 'answered', (e) => e.name);
      for (let i = 1; i < 16; i++) ctx.fetch(input.base + '/hold/seventeen-' + i).catch(() => {});
      const seventeenth = ctx.fetch(input.base + '/ok/17').then((r) => r.text(), (e) => e.code + ': ' + e.message);
      first.abort();
      return [await aborted, await seventeenth];
    };`;
    const outcome = await sb.run(granted(code, { base }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, ['AbortError', 'ok /ok/17']);
    assert.equal(sb.alive, true);
  });

  for (const [what, fail] of [['returns', false], ['throws', true]] as const) {
    it(`a run that ${what} with a request in flight has its upstream connection closed`, async () => {
      const sb = await tracker.spawn();
      const path = `/hold/end-${what}`;
      const code = `export default async (input, ctx) => {
        ctx.fetch(input.base + input.path).catch(() => {});
        await ctx.fetch(input.base + '/when-held' + input.path);
        if (input.fail) throw new Error('gave up');
        return 'returned';
      };`;
      const outcome = await sb.run(granted(code, { base, path, fail }));
      assert.equal(outcome.status, fail ? 'failed' : 'succeeded', JSON.stringify(outcome.error));
      await until(() => held.get(path)?.closed === true, 'the request left in flight to have its connection closed');
      assert.equal(sb.alive, true);
    });
  }

  it('forged fetch-abort frames: unknown and answered rids are ignored, others destroy only the forging sandbox, another run is untouched', async () => {
    // Another sandbox's run has a request in flight (rid 1 there too) that the server holds.
    const victimSandbox = await tracker.spawn();
    const victimReq = granted(`export default async (input, ctx) => (await ctx.fetch(input.base + '/hold/victim')).text();`, { base });
    const victim = victimSandbox.run(victimReq);
    await until(() => held.has('/hold/victim'), 'the victim’s request to reach the server');

    // Aborts of rids the run has not in flight (never used, already answered) change nothing.
    const forger = await tracker.spawn();
    const own = `${FRAME_WRITER}
    export default async (input, ctx) => {
      const forge = (rid) => writeFrame(JSON.stringify({ t: 'fetch-abort', id: ctx.executionId, rid }));
      const first = await (await ctx.fetch(input.base + '/ok/a')).text();
      forge(1);
      const second = await (await ctx.fetch(input.base + '/ok/b')).text();
      forge(424242);
      return [first, second];
    };`;
    const ignored = await forger.run(granted(own, { base }));
    assert.equal(ignored.status, 'succeeded', JSON.stringify(ignored.error));
    assert.deepEqual(ignored.result, ['ok /ok/a', 'ok /ok/b']);
    assert.equal(forger.alive, true);

    const cases: [string, string, boolean][] = [
      ['for another execution', `{ t: 'fetch-abort', id: input.victim, rid: 1 }`, true],
      ['with extra fields', `{ t: 'fetch-abort', id: ctx.executionId, rid: 1, all: true }`, true],
      ['with a rid that is not an integer', `{ t: 'fetch-abort', id: ctx.executionId, rid: '1' }`, true],
      ['with an oversized id', `{ t: 'fetch-abort', id: ctx.executionId + 'x'.repeat(300), rid: 1 }`, true],
      ['from a run without a grant', `{ t: 'fetch-abort', id: ctx.executionId, rid: 1 }`, false],
      ['before any fetch (more aborts than fetches)', `{ t: 'fetch-abort', id: ctx.executionId, rid: 1 }`, true],
    ];
    for (const [what, frame, grant] of cases) {
      const sb = await tracker.spawn();
      const code = `${FRAME_WRITER}\nexport default async (input, ctx) => { writeFrame(JSON.stringify(${frame})); await new Promise(() => {}); };`;
      const input = { base, victim: victimReq.executionId };
      const outcome = await sb.run(grant ? granted(code, input) : request(code, { input, timeoutMs: 20_000 }));
      assert.equal(outcome.status, 'killed', `${what}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.error?.type, 'SandboxProtocolError', what);
      assert.equal(sb.alive, false, what);
    }

    // The victim's request was never touched: its connection is open and its answer arrives.
    assert.equal(held.get('/hold/victim')?.closed, false);
    held.get('/hold/victim')!.res.end('victim answered');
    const outcome = await victim;
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.equal(outcome.result, 'victim answered');
    assert.equal(victimSandbox.alive, true);
  });
});
