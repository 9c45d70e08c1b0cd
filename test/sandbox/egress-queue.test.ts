// Requests beyond the 16 in flight wait inside the sandbox, in a real bwrap sandbox: many
// concurrent ctx.fetch calls all succeed while the server never has more than 16 of them at once
// (and the host, which ends a run on a 17th unanswered fetch frame, never sees one), a queued
// request whose signal aborts rejects with the signal's reason and is never sent, and requests
// still queued when the run ends reject, are never sent, and leave the next run of the sandbox
// unaffected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestHttpServer } from '../egress/support.js';
import { loopbackGrant, startEgressRig, stopEgressRig } from './egress-grant.js';
import type { Tracker } from './support.js';

describe('ctx.fetch beyond 16 requests in flight waits, in a bwrap sandbox', () => {
  let server: TestHttpServer;
  let tracker: Tracker;
  let base: string;
  /** `/delay/…` requests the server is answering now, and the most it ever had at once. */
  let delayed = 0;
  let peak = 0;

  before(async () => {
    ({ tracker, server, base } = await startEgressRig((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/hold/')) return; // held until its connection closes
      if (url.startsWith('/delay/')) {
        peak = Math.max(peak, ++delayed);
        res.on('close', () => delayed--);
        return void setTimeout(() => res.end(`ok ${url}`), 20);
      }
      res.end(`ok ${url}`);
    }));
  });
  after(() => stopEgressRig({ tracker, server }));

  const granted = (code: string, input: unknown) => loopbackGrant(server.port, code, input);
  const seenPaths = (prefix: string): string[] => server.seen.map((r) => r.url).filter((u) => u.startsWith(prefix));

  it('40 concurrent fetches all succeed, and the server never has more than 16 of them at once', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      const all = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => ctx.fetch(input.base + '/delay/' + i).then((r) => r.text())));
      return all.map((s) => (s.status === 'fulfilled' ? s.value : s.reason.code + ': ' + s.reason.message));
    };`;
    const req = granted(code, { base });
    const outcome = await sb.run(req);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, Array.from({ length: 40 }, (_, i) => `ok /delay/${i}`));
    assert.equal(seenPaths('/delay/').length, 40);
    assert.ok(peak <= 16, `the server had ${peak} requests at once`);
    assert.equal(req.egress.records.length, 40, 'each counts as a request');
    assert.equal(sb.alive, true);
  });

  it('a queued request whose signal aborts rejects with the reason and is never sent; the one queued behind it is', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      const holders = Array.from({ length: 16 }, () => new AbortController());
      const holding = holders.map((c, i) => ctx.fetch(input.base + '/hold/q' + i, { signal: c.signal }).catch((e) => e.name));
      const controller = new AbortController();
      const queued = ctx.fetch(input.base + '/ok/aborted-in-queue', { signal: controller.signal })
        .then(() => 'answered', (e) => [e.name, e.message, e === reason]);
      const behind = ctx.fetch(input.base + '/ok/behind').then((r) => r.text(), (e) => e.code + ': ' + e.message);
      const reason = new Error('no longer needed');
      controller.abort(reason);
      const aborted = await queued;
      holders[0].abort(); // frees a place: the next queued request (not the aborted one) goes out
      return { aborted, behind: await behind, first: await holding[0] };
    };`;
    const outcome = await sb.run(granted(code, { base }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, { aborted: ['Error', 'no longer needed', true], behind: 'ok /ok/behind', first: 'AbortError' });
    assert.deepEqual(seenPaths('/ok/'), ['/ok/behind'], 'the aborted request never reached the server');
    assert.equal(sb.alive, true);
  });

  it('requests still queued when the run ends reject and are never sent; the next run of the sandbox is unaffected', async () => {
    const sb = await tracker.spawn();
    const first = `export default async (input, ctx) => {
      globalThis.leftover = [];
      for (let i = 0; i < 16; i++) ctx.fetch(input.base + '/hold/end' + i).catch(() => {});
      for (let i = 0; i < 4; i++) {
        ctx.fetch(input.base + '/ok/leftover' + i).then(() => globalThis.leftover.push('answered'), (e) => globalThis.leftover.push(e.code + ': ' + e.message));
      }
      return 'returned';
    };`;
    const ended = await sb.run(granted(first, { base }));
    assert.equal(ended.status, 'succeeded', JSON.stringify(ended.error));
    assert.equal(ended.result, 'returned');

    const second = `export default async (input, ctx) => {
      const leftover = [...globalThis.leftover];
      const all = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => ctx.fetch(input.base + '/ok/next' + i).then((r) => r.status)));
      return { leftover, next: all.map((s) => (s.status === 'fulfilled' ? s.value : s.reason.code)) };
    };`;
    const next = await sb.run(granted(second, { base }));
    assert.equal(next.status, 'succeeded', JSON.stringify(next.error));
    assert.deepEqual(next.result, {
      leftover: Array.from({ length: 4 }, () => 'EGRESS_FAILED: the execution ended'),
      next: Array.from({ length: 20 }, () => 200),
    });
    assert.deepEqual(seenPaths('/ok/leftover'), [], 'no queued request of the ended run was ever sent');
    assert.equal(sb.alive, true);
  });
});
