// Per-execution caps against real servers on 127.0.0.1: response bodies cut off while
// streaming, the request count, the request body size, a per-request timeout against a server
// that never answers (its connection is torn down), and the execution deadline.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import { countingConnector, forbiddenConnector, openSession, startHttpServer, tableResolver, until } from './support.js';
import type { TestHttpServer } from './support.js';

const KiB = 1024;
const failsWith = (c: string, pattern: RegExp) => (e: unknown) => isAirlockError(e) && e.code === c && pattern.test(e.message);

describe('egress caps', () => {
  let server: TestHttpServer;
  before(async () => {
    server = await startHttpServer((req, res) => {
      if (req.url === '/stream') {
        // 64 KiB chunks without a content-length, far past any cap used here; stops when cut.
        res.writeHead(200);
        let sent = 0;
        const push = (): void => {
          while (sent < 4096 && !res.destroyed) {
            sent++;
            if (!res.write(Buffer.alloc(64 * KiB, 120))) return void res.once('drain', push);
          }
          res.end();
        };
        push();
      } else if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': String(1024 * KiB) });
        res.end(Buffer.alloc(1024 * KiB));
      } else if (req.url === '/never') {
        // never answers
      } else {
        res.end('ok');
      }
    });
  });
  after(() => server.close());

  const policy = (limits: Record<string, number>) => ({ allow: [{ host: 'api.test', ports: [server.port] }], limits });
  const setup = (limits: Record<string, number>, deadline?: number) =>
    openSession({ policy: policy(limits), resolver: tableResolver({ 'api.test': ['127.0.0.1'] }), connector: countingConnector(), ...(deadline === undefined ? {} : { deadline }) });

  it('cuts off a streamed response body above responseBytes', async () => {
    const session = setup({ responseBytes: 100 * KiB });
    await assert.rejects(session.fetch({ method: 'GET', url: `http://api.test:${server.port}/stream`, headers: [] }), failsWith('EGRESS_LIMIT', /responseBytes/));
    const rec = session.records[0]!;
    assert.equal(rec.error, 'EGRESS_LIMIT');
    assert.ok(rec.bytesIn > 100 * KiB && rec.bytesIn < 1024 * KiB, `stopped soon after the cap (${rec.bytesIn} bytes)`);
    await until(() => server.openSockets() === 0, 'the cut connection to close');
  });

  it('refuses a declared content-length above responseBytes before reading it', async () => {
    const session = setup({ responseBytes: 10 * KiB });
    await assert.rejects(session.fetch({ method: 'GET', url: `http://api.test:${server.port}/declared`, headers: [] }), failsWith('EGRESS_LIMIT', /responseBytes/));
    assert.equal(session.records[0]?.bytesIn, 0);
  });

  it('counts requests per execution', async () => {
    const session = setup({ requests: 2 });
    for (let i = 0; i < 2; i++) await session.fetch({ method: 'GET', url: `http://api.test:${server.port}/`, headers: [] });
    await assert.rejects(session.fetch({ method: 'GET', url: `http://api.test:${server.port}/`, headers: [] }), failsWith('EGRESS_LIMIT', /limit \(egress\.limits\.requests\)/));
    assert.deepEqual(session.records.map((r) => r.error ?? r.status), [200, 200, 'EGRESS_LIMIT']);
  });

  it('refuses a request body above requestBytes without connecting', async () => {
    const session = openSession({ policy: policy({ requestBytes: 10 }), resolver: tableResolver({}), connector: forbiddenConnector });
    await assert.rejects(
      session.fetch({ method: 'POST', url: `http://api.test:${server.port}/`, headers: [], body: new Uint8Array(11) }),
      failsWith('EGRESS_LIMIT', /requestBytes/),
    );
  });

  it('cuts off a request to a server that never answers after timeoutMs', async () => {
    const session = setup({ timeoutMs: 200 });
    const before = server.seen.length;
    await assert.rejects(session.fetch({ method: 'GET', url: `http://api.test:${server.port}/never`, headers: [] }), failsWith('EGRESS_FAILED', /longer than 200 ms/));
    assert.equal(server.seen.length, before + 1, 'the request did reach the server');
    await until(() => server.openSockets() === 0, 'the timed-out connection to close');
  });

  it('never runs past the execution deadline, whatever timeoutMs says', async () => {
    const session = setup({ timeoutMs: 60_000 }, Date.now() + 200);
    await assert.rejects(session.fetch({ method: 'GET', url: `http://api.test:${server.port}/never`, headers: [] }), failsWith('EGRESS_FAILED', /execution deadline/));
    await until(() => server.openSockets() === 0, 'the connection to close');
  });

  it('stops a request when the caller aborts it', async () => {
    const session = setup({});
    const controller = new AbortController();
    const pending = session.fetch({ method: 'GET', url: `http://api.test:${server.port}/never`, headers: [] }, controller.signal);
    await until(() => server.openSockets() === 1, 'the request to arrive');
    controller.abort();
    await assert.rejects(pending, failsWith('EGRESS_FAILED', /aborted/));
    await until(() => server.openSockets() === 0, 'the connection to close');
  });
});
