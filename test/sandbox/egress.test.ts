// ctx.fetch through a real bwrap sandbox at the sandbox layer: requests relayed to the session
// and answered (ctx.fetch and globalThis.fetch), refusals surfacing as TypeErrors with a code,
// no fetch at all for runs without a grant (not even on a sandbox that had one), a request
// that never answers cannot outlive the run, an abort reaches a request in flight even after a garbage
// collection, and hostile fetch frames destroy the sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCidr } from '../../src/egress/ip.js';
import { HttpEgressBroker, NO_SECRETS } from '../../src/egress/broker.js';
import type { EgressSession } from '../../src/egress/types.js';
import type { EgressLimits } from '../../src/core/types.js';
import { DEFAULT_MAX_EGRESS_LIMITS } from '../../src/egress/limits.js';
import { countingConnector, startHttpServer, tableResolver, until } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';
import { FRAME_WRITER, Tracker, request } from './support.js';

describe('ctx.fetch in a bwrap sandbox', () => {
  let server: TestHttpServer;
  let tracker: Tracker;
  const connector = countingConnector();
  before(async () => {
    tracker = new Tracker('bwrap');
    server = await startHttpServer((req, res, body) => {
      if (req.url === '/never') return;
      if (req.url === '/up') return void res.end(`${body.length} ${body.every((b) => b === 98)}`);
      if (req.url?.startsWith('/big/')) return void res.end(Buffer.alloc(Number(req.url.slice(5)), 97));
      res.setHeader('x-path', req.url ?? '');
      res.end(`${req.method} ${req.url} ${req.headers['x-a'] ?? ''}${body.toString()}`);
    });
  });
  after(async () => {
    await tracker.cleanup();
    await server.close();
  });

  const session = (executionId: string, limits: Partial<EgressLimits> = {}): EgressSession =>
    new HttpEgressBroker({ secrets: NO_SECRETS, allowCidrs: [parseCidr('127.0.0.1/32')], resolver: tableResolver({}), connector }).open({
      tenant: 'tenant-a', functionName: 'probe', executionId, deadline: Date.now() + 30_000,
      policy: { allow: [{ host: '127.0.0.1', ports: [server.port] }], limits: { requests: 10, requestBytes: 1024, responseBytes: 64 * 1024, timeoutMs: 10_000, ...limits } },
    });
  const granted = (code: string, input: unknown, limits: Partial<EgressLimits> = {}, timeoutMs = 10_000) => {
    const req = request(code, { input, timeoutMs });
    const egress = session(req.executionId, limits);
    return { req: { ...req, egress }, egress };
  };

  it('answers ctx.fetch and global fetch with standard Responses, then withdraws fetch for an ungranted run', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      const a = await ctx.fetch(input.base + '/a?q=1', { headers: { 'x-a': 'A' } });
      const b = await fetch(new URL('/b', input.base), { method: 'POST', body: 'hi' });
      return { a: await a.text(), b: await b.text(), status: a.status, ok: a.ok, url: a.url, header: a.headers.get('x-path'),
        ctxFetch: typeof ctx.fetch, same: globalThis.fetch === ctx.fetch };
    };`;
    const base = `http://127.0.0.1:${server.port}`;
    const { req, egress } = granted(code, { base });
    const outcome = await sb.run(req);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, {
      a: 'GET /a?q=1 A', b: 'POST /b hi', status: 200, ok: true, url: `${base}/a?q=1`, header: '/a?q=1', ctxFetch: 'function', same: true,
    });
    assert.deepEqual(egress.records.map((r) => [r.method, r.path, r.status, r.bytesOut]), [['GET', '/a', 200, 0], ['POST', '/b', 200, 2]]);

    const seen = server.seen.length;
    const ungranted = `export default async (input, ctx) => ({
      has: 'fetch' in ctx,
      reached: await fetch(input.base + '/c').then(() => true, (e) => [e.name, e.message, e.cause?.message]),
    });`;
    const second = await sb.run(request(ungranted, { input: { base } }));
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    const { has, reached } = second.result as { has: boolean; reached: [string, string, string] | true };
    assert.equal(has, false);
    assert.ok(reached !== true, 'the ungranted fetch failed');
    // The failure says why (no grant, no network) and how to grant egress; Node's own error is its cause.
    assert.equal(reached[0], 'TypeError');
    assert.match(reached[1], /^fetch failed: this function has no egress grant, so its sandbox has no network; deploy it with an egress policy .*--egress/);
    assert.equal(reached[2], 'fetch failed');
    assert.equal(server.seen.length, seen, 'nothing reached the server without a grant');
    assert.equal(sb.alive, true);
  });

  it('work left over from an earlier run of another function cannot use the next run’s grant', async () => {
    const sb = await tracker.spawn();
    const base = `http://127.0.0.1:${server.port}`;
    // An ungranted function leaves a timer behind that keeps trying globalThis.fetch.
    const leftover = `export default async (input) => {
      globalThis.leftoverErrors = [];
      const timer = setInterval(() => {
        fetch(input.base + '/stolen').then(() => globalThis.leftoverErrors.push('reached'), (e) => globalThis.leftoverErrors.push(e.code ?? e.message));
      }, 20);
      timer.unref?.();
      return 'planted';
    };`;
    const first = await sb.run(request(leftover, { input: { base } }));
    assert.equal(first.result, 'planted');
    const seen = server.seen.length;
    // A granted function of the same tenant then runs in the same warm sandbox for a while.
    const { req } = granted(`export default async (input, ctx) => {
      await new Promise((r) => setTimeout(r, 300));
      const own = await (await ctx.fetch(input.base + '/own')).text();
      return { own, leftover: [...new Set(globalThis.leftoverErrors)] };
    };`, { base });
    const second = await sb.run(req);
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    const out = second.result as { own: string; leftover: string[] };
    assert.equal(out.own, 'GET /own ');
    assert.ok(out.leftover.includes('EGRESS_DENIED'), `the leftover timer was refused: ${JSON.stringify(out.leftover)}`);
    assert.ok(!out.leftover.includes('reached'));
    assert.deepEqual(server.seen.slice(seen).filter((r) => r.url === '/stolen'), [], 'nothing stolen reached the server');
  });

  it('rejects refused requests with a TypeError carrying the code, before any connection', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      const out = [];
      for (const url of input.urls) {
        try { await ctx.fetch(url); out.push('fetched'); } catch (e) { out.push([e.name, e.code, e instanceof TypeError]); if (url.includes('@')) out.push(e.message); }
      }
      try { await ctx.fetch(input.urls[0], { method: 'POST', body: 'x'.repeat(2000) }); } catch (e) { out.push([e.name, e.code]); }
      return out;
    };`;
    const calls = connector.calls.length;
    // A URL with a user name or password: refused in the sandbox with its code and where credentials go.
    const withUser = `http://user:pass@127.0.0.1:${server.port}/`;
    const { req } = granted(code, { urls: ['http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd', withUser] });
    const outcome = await sb.run(req);
    const result = outcome.result as unknown[];
    assert.match(String(result[4]), /^the URL holds a user name or password, which fetch never sends: send credentials in a header instead/);
    assert.deepEqual([...result.slice(0, 4), result[5]], [
      ['TypeError', 'EGRESS_DENIED', true], ['TypeError', 'EGRESS_DENIED', true], ['TypeError', 'EGRESS_DENIED', true], ['TypeError', 'EGRESS_DENIED', true], ['TypeError', 'EGRESS_LIMIT'],
    ]);
    assert.equal(connector.calls.length, calls, 'no connection was attempted');
  });

  it('carries the largest permitted bodies both ways (frame caps fit the operator maxima)', async () => {
    const sb = await tracker.spawn(256);
    const max = DEFAULT_MAX_EGRESS_LIMITS;
    const code = `export default async (input, ctx) => {
      const up = await ctx.fetch(input.base + '/up', { method: 'POST', body: new Uint8Array(input.requestBytes).fill(98) });
      const down = await ctx.fetch(input.base + '/big/' + input.responseBytes);
      return { up: await up.text(), down: (await down.arrayBuffer()).byteLength };
    };`;
    const { req } = granted(code, { base: `http://127.0.0.1:${server.port}`, requestBytes: max.requestBytes, responseBytes: max.responseBytes }, max, 30_000);
    const outcome = await sb.run(req);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const result = outcome.result as { up: string; down: number };
    assert.equal(result.up, `${max.requestBytes} true`);
    assert.equal(result.down, max.responseBytes);
    assert.equal(sb.alive, true);
  });

  it('bounds the requests in flight and aborts the rest when the run answers', async () => {
    const sb = await tracker.spawn();
    // 20 requests that are never answered: 16 go out, 4 wait in the sandbox (a 17th unanswered
    // fetch frame would end the run as a protocol violation), and the run returns without them.
    const code = `export default async (input, ctx) => {
      for (let i = 0; i < 20; i++) ctx.fetch(input.url).catch(() => {});
      return 'returned';
    };`;
    const { req } = granted(code, { url: `http://127.0.0.1:${server.port}/never` }, { requests: 100 });
    const outcome = await sb.run(req);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.equal(outcome.result, 'returned');
    await until(() => server.openSockets() === 0, 'the requests still in flight to be aborted');
    assert.ok(server.seen.filter((r) => r.url === '/never').length <= 16);
    assert.equal(sb.alive, true);
  });

  it('aborts a request in flight after a garbage collection: an AbortController at once, ctx.signal before the deadline', async () => {
    const sb = await tracker.spawn();
    // gc() inside the sandbox (V8's own flag, set at run time): the Request objects fetch makes
    // are collected between the call and the abort, deterministically.
    const code = `import { setFlagsFromString } from 'node:v8';
    import { runInNewContext } from 'node:vm';
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc');
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const outcome = (p) => p.then(() => 'answered', (e) => e.name);
    export default async (input, ctx) => {
      const controller = new AbortController();
      const own = outcome(fetch(input.url, { signal: controller.signal }));
      await turn();
      gc();
      controller.abort();
      const first = await Promise.race([own, turn().then(() => 'still waiting')]);
      const near = outcome(ctx.fetch(input.url, { signal: ctx.signal }));
      await turn();
      gc();
      return { first, near: await near, left: ctx.deadline - Date.now() > 0 };
    };`;
    const { req } = granted(code, { url: `http://127.0.0.1:${server.port}/never` }, {}, 2_000);
    const outcome = await sb.run(req);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(outcome.result, { first: 'AbortError', near: 'TimeoutError', left: true });
  });

  it('never lets a request outlive the run: the deadline kills the sandbox and the connection closes', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => { await ctx.fetch(input.url); return 'answered'; };`;
    const { req } = granted(code, { url: `http://127.0.0.1:${server.port}/never` }, { timeoutMs: 60_000 }, 800);
    const outcome = await sb.run(req);
    assert.equal(outcome.status, 'timeout');
    await until(() => server.openSockets() === 0, 'the brokered connection to close');
  });

  describe('hostile fetch frames', () => {
    const frame = (fields: string) => `writeFrame(JSON.stringify({ t: 'fetch', id: ctx.executionId, rid: 1, method: 'GET', url: input.url, headers: [], ${fields} }));`;
    const cases: [string, string, boolean][] = [
      ['a fetch frame from a run without a grant', frame(''), false],
      ['a header value with a line break', frame(`headers: [['x-a', 'b\\r\\nhost: evil']]`), true],
      ['a body that is not base64', frame(`body: '***'`), true],
      ['a fetch frame for another execution', `writeFrame(JSON.stringify({ t: 'fetch', id: 'ex_other', rid: 1, method: 'GET', url: input.url, headers: [] }));`, true],
      ['a request id reused while in flight', `${frame('')} ${frame('')}`, true],
      ['extra fields', frame(`proxy: 'x'`), true],
      ['an unknown redirect mode', frame(`redirect: 'sideways'`), true],
    ];
    for (const [what, statement, grant] of cases) {
      it(`destroys the sandbox on ${what}`, async () => {
        const sb = await tracker.spawn();
        const code = `${FRAME_WRITER}\nexport default async (input, ctx) => { ${statement} await new Promise(() => {}); };`;
        const input = { url: `http://127.0.0.1:${server.port}/never` };
        const req = grant ? granted(code, input).req : request(code, { input, timeoutMs: 10_000 });
        const outcome = await sb.run(req);
        assert.equal(outcome.status, 'killed', JSON.stringify(outcome));
        assert.equal(outcome.error?.type, 'SandboxProtocolError');
        assert.equal(sb.alive, false);
      });
    }
  });
});

describe('ctx.fetch with the process isolator (development)', () => {
  it('loads the fetch client beside the harness and relays requests', async () => {
    const server = await startHttpServer((req, res) => res.end(`dev ${req.url}`));
    const tracker = new Tracker('process');
    try {
      const sb = await tracker.spawn();
      const req = request(`export default async (input, ctx) => (await ctx.fetch(input.url)).text();`, { input: { url: `http://127.0.0.1:${server.port}/x` } });
      const egress = new HttpEgressBroker({ secrets: NO_SECRETS, allowCidrs: [parseCidr('127.0.0.1/32')], resolver: tableResolver({}), connector: countingConnector() }).open({
        tenant: 'tenant-a', functionName: 'probe', executionId: req.executionId, deadline: Date.now() + 10_000,
        policy: { allow: [{ host: '127.0.0.1', ports: [server.port] }] },
      });
      const outcome = await sb.run({ ...req, egress });
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.equal(outcome.result, 'dev /x');
    } finally {
      await tracker.cleanup();
      await server.close();
    }
  });
});
