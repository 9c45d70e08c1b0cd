// ctx.fetch in a real bwrap sandbox behaves like the standard fetch where a function notices:
// a compressed answer reads with res.json(), the redirect option reaches the broker ('error'
// rejects, 'manual' answers the 3xx), res.redirected, res.type and res.url read as from Node's
// fetch, and a failed request's stack points at the call in the function's own code that made it.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { HttpEgressBroker, NO_SECRETS } from '../../src/egress/broker.js';
import { parseCidr } from '../../src/egress/ip.js';
import type { EgressSession } from '../../src/egress/types.js';
import { countingConnector, startHttpServer, tableResolver } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';
import { Tracker, request } from './support.js';

/** A port on 127.0.0.1 that nothing listens on (a server was there and is closed). */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('ctx.fetch like the standard fetch, in a bwrap sandbox', () => {
  let server: TestHttpServer;
  let tracker: Tracker;
  let deadPort: number;
  before(async () => {
    tracker = new Tracker('bwrap');
    deadPort = await closedPort();
    server = await startHttpServer((req, res) => {
      if (req.url === '/gzip') {
        const body = zlib.gzipSync(JSON.stringify({ compressed: true }));
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
        return void res.end(body);
      }
      if (req.url === '/moved') return void res.writeHead(302, { location: '/target' }).end('see /target');
      if (req.url === '/away') return void res.writeHead(302, { location: `http://other.test:${server.port}/target` }).end();
      res.end(`reached ${req.url}`);
    });
  });
  after(async () => {
    await tracker.cleanup();
    await server.close();
  });

  const run = async (code: string, input: unknown) => {
    const req = request(code, { input, timeoutMs: 10_000 });
    const egress: EgressSession = new HttpEgressBroker({
      secrets: NO_SECRETS, allowCidrs: [parseCidr('127.0.0.1/32')], resolver: tableResolver({ 'other.test': ['127.0.0.1'] }), connector: countingConnector(),
    }).open({
      tenant: 'tenant-a', functionName: 'probe', executionId: req.executionId, deadline: Date.now() + 30_000,
      policy: { allow: [{ host: '127.0.0.1', ports: [server.port, deadPort] }, { host: 'other.test', ports: [server.port] }] },
    });
    const sb = await tracker.spawn();
    return { outcome: await sb.run({ ...req, egress }), egress };
  };

  it('hands over a compressed answer decoded, so res.json() works', async () => {
    const code = `export default async (input, ctx) => {
      const res = await ctx.fetch(input.url);
      return { body: await res.json(), encoding: res.headers.get('content-encoding') };
    };`;
    const { outcome } = await run(code, { url: `http://127.0.0.1:${server.port}/gzip` });
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, { body: { compressed: true }, encoding: 'gzip' });
  });

  it("passes redirect: 'error' and 'manual' to the broker", async () => {
    const code = `export default async (input, ctx) => {
      const error = await fetch(input.url, { redirect: 'error' }).then((r) => 'followed to ' + r.url, (e) => [e.name, e.code, e.message]);
      const manual = await ctx.fetch(input.url, { redirect: 'manual' });
      const follow = await ctx.fetch(input.url);
      return { error, manual: [manual.status, manual.headers.get('location'), await manual.text()], follow: await follow.text() };
    };`;
    const seen = server.seen.length;
    const { outcome, egress } = await run(code, { url: `http://127.0.0.1:${server.port}/moved` });
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const result = outcome.result as { error: [string, string, string]; manual: unknown; follow: string };
    assert.deepEqual(result.error.slice(0, 2), ['TypeError', 'EGRESS_FAILED']);
    assert.match(result.error[2], /answered 302 \(a redirect to \/target\) and the request has redirect: 'error'/);
    assert.deepEqual(result.manual, [302, '/target', 'see /target']);
    assert.equal(result.follow, 'reached /target');
    assert.deepEqual(server.seen.slice(seen).map((r) => r.url), ['/moved', '/moved', '/moved', '/target']);
    assert.deepEqual(egress.records.map((r) => [r.path, r.status, r.error ?? null]), [
      ['/moved', 302, 'EGRESS_FAILED'], ['/moved', 302, null], ['/moved', 302, null], ['/target', 200, null],
    ]);
  });

  it("sets res.redirected when a redirect was followed, res.type 'basic' as Node's fetch does, and res.url the last URL; clone() keeps them", async () => {
    const code = `export default async (input, ctx) => {
      const show = async (res) => [res.redirected, res.type, res.url, res.status, await res.text()];
      const away = await ctx.fetch(input.base + '/away');
      const copy = away.clone();
      return {
        direct: await show(await ctx.fetch(input.base + '/target')),
        moved: await show(await fetch(input.base + '/moved')),
        away: await show(away),
        clone: await show(copy),
        manual: await show(await ctx.fetch(input.base + '/moved', { redirect: 'manual' })),
      };
    };`;
    const base = `http://127.0.0.1:${server.port}`;
    const { outcome } = await run(code, { base });
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, {
      direct: [false, 'basic', `${base}/target`, 200, 'reached /target'],
      moved: [true, 'basic', `${base}/target`, 200, 'reached /target'],
      away: [true, 'basic', `http://other.test:${server.port}/target`, 200, 'reached /target'],
      clone: [true, 'basic', `http://other.test:${server.port}/target`, 200, 'reached /target'],
      manual: [false, 'basic', `${base}/moved`, 302, 'see /target'],
    });
  });

  it("gives a failed request the stack of the function's call that made it", async () => {
    const code = [
      'export default async (input, ctx) => {',
      '  const fine = ctx.fetch(input.ok);',
      '  const broken = ctx.fetch(input.dead);',
      '  await Promise.all([fine, broken]);',
      '};',
    ].join('\n');
    const { outcome } = await run(code, { ok: `http://127.0.0.1:${server.port}/ok`, dead: `http://127.0.0.1:${deadPort}/` });
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error?.type, 'TypeError');
    assert.match(outcome.error?.message ?? '', /ECONNREFUSED/);
    const stack = outcome.error?.stack ?? '';
    assert.match(stack, /^TypeError: .*ECONNREFUSED/);
    assert.match(stack, /at .*file:\/\/\/.*probe\.[0-9a-f]{12}\.mjs:3:\d+/, `the stack names the failing call (line 3): ${stack}`);
    assert.doesNotMatch(stack, /\.mjs:2:\d+/, 'not the call that succeeded');
  });
});
