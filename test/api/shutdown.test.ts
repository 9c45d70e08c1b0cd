// Graceful stop as the README describes it: the listener closes at once (a new connection is
// refused) while a call already in flight still runs to its answer within the grace period; a
// request that arrives on a connection still open meanwhile is 503 SHUTTING_DOWN. A store that
// fails while the records are flushed does not stop the rest from closing, and the records it
// could not write are counted and logged as dropped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AirlockError } from '../../src/core/errors.js';
import { failRecordWritesWhile } from '../support/full-records.js';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import { openRaw, parseAnswer, readUntilClosed } from '../support/raw-http.js';
import { descendants } from '../support/process.js';

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

  it('the answer to a call in flight when the stop began says Connection: close, and the connection closes after it', async () => {
    const server = await startTestServer({ AIRLOCK_SHUTDOWN_GRACE_MS: '10000' });
    let stopped: Promise<void> | undefined;
    try {
      await deploy(server, 'acme', 'slow', 'export default async () => { await new Promise((r) => setTimeout(r, 1500)); return "done"; }');
      const socket = await openRaw(server.url);
      let text = '';
      let closed = false;
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.once('close', () => (closed = true));
      socket.once('error', () => undefined);
      const body = '{"input":{}}';
      const invokeRequest =
        `POST /v1/tenants/acme/functions/slow/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.adminKey}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      /** Waits until `text` holds `n` whole answers (each with a Content-Length) and returns them. */
      const answers = async (n: number) => {
        for (let deadline = Date.now() + 20_000; ; ) {
          const found = [];
          let rest = text;
          while (found.length < n) {
            const end = rest.indexOf('\r\n\r\n');
            if (end < 0) break;
            const length = Number(/\r\ncontent-length: (\d+)/i.exec(rest.slice(0, end))?.[1]);
            if (rest.length < end + 4 + length) break;
            found.push(parseAnswer(rest.slice(0, end + 4 + length)));
            rest = rest.slice(end + 4 + length);
          }
          if (found.length === n) return { found, rest };
          if (Date.now() > deadline) throw new Error(`no ${n} whole answers in time; got: ${text.slice(0, 400)}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      // Control: before the stop, an answer on this connection keeps it open.
      socket.write(invokeRequest);
      const [before] = (await answers(1)).found;
      assert.equal(before?.status, 200, before?.body);
      assert.match(before?.headers ?? '', /\r\nconnection: keep-alive/i);
      // The same connection's next call is in flight when the stop begins.
      socket.write(invokeRequest);
      await waitForRunning(server.url);
      stopped = server.airlock.stop();
      const { found, rest } = await answers(2);
      const during = found[1]!;
      assert.equal(during.status, 200, during.body);
      assert.equal((JSON.parse(during.body) as { status: string }).status, 'succeeded');
      assert.match(during.headers, /\r\nconnection: close/i, during.headers);
      assert.doesNotMatch(during.headers, /keep-alive/i);
      for (let i = 0; i < 500 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(closed, true, 'the server closed the connection after the answer');
      assert.equal(rest, '', 'nothing after the answer');
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

  it('stopNow() ends the grace period: the running call answers killed, a call waiting for a sandbox 503 SHUTTING_DOWN, both recorded', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-stop-now-'));
    // One sandbox in all: while acme's call runs, globex's waits for the pool's budget.
    const env = { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_SHUTDOWN_GRACE_MS: '600000', AIRLOCK_MAX_SANDBOXES: '1', AIRLOCK_POOL_SIZE: '0' };
    try {
      const server = await startTestServer(env);
      let killed, refused;
      try {
        await deploy(server, 'acme', 'slow', 'export default async () => { await new Promise((r) => setTimeout(r, 50_000)); return 1; }', { limits: { timeoutMs: 60_000 } });
        await deploy(server, 'globex', 'quick', 'export default () => 2');
        const running = invoke(server, 'acme', 'slow', {});
        for (let i = 0; i < 1000 && server.airlock.pool.stats().busy === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        const waiting = invoke(server, 'globex', 'quick', {});
        for (let i = 0; i < 1000 && server.airlock.pool.stats().waiting === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.deepEqual([server.airlock.pool.stats().busy, server.airlock.pool.stats().waiting], [1, 1], 'one call runs, one waits for a sandbox');
        await server.airlock.stopNow(); // long before the 10-minute grace period
        [killed, refused] = await Promise.all([running, waiting]);
      } finally {
        await server.close();
      }
      assert.equal(killed.status, 200);
      assert.deepEqual([killed.body.status, killed.body.error?.type], ['killed', 'SandboxDestroyed']);
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'SHUTTING_DOWN');
      assert.match(refused.body.error.executionId, /^ex_/, 'the refusal names its record');
      const again = await startTestServer(env);
      try {
        const ran = await again.request('GET', `/v1/tenants/acme/executions/${killed.body.executionId}`);
        assert.deepEqual([ran.body.status, ran.body.error?.type], ['killed', 'SandboxDestroyed']);
        const notRun = await again.request('GET', `/v1/tenants/globex/executions/${refused.body.error.executionId}`);
        assert.deepEqual([notRun.status, notRun.body.status, notRun.body.start, notRun.body.error?.type], [200, 'rejected', null, 'ShuttingDown']);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a store that fails while the records are flushed: every other part still closes, the unwritten records are dropped and logged, and "stopped" is logged', async () => {
    let full = false;
    const wrapStore = failRecordWritesWhile(() => full);
    const logs = captureLog();
    const server = await startTestServer({}, { wrapStore }, logs.logger);
    /** This process's open files in the server's data dir (database, log, checkpointer's handle). */
    const openInDataDir = (): string[] =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const target = readlinkSync(join('/proc/self/fd', fd));
          return target.startsWith(`${server.dataDir}/`) ? [target] : [];
        } catch {
          return []; // closed while listing
        }
      });
    try {
      await deploy(server, 'acme', 'f', 'export default () => 1');
      assert.ok(openInDataDir().length > 0, 'control: the running server holds its database open');
      full = true;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await invoke(server, 'acme', 'f', {});
        assert.equal(res.body.status, 'succeeded');
        ids.push(res.body.executionId as string);
      }
      await assert.rejects(server.airlock.stop(), (err: unknown) => {
        assert.ok(err instanceof AirlockError, String(err));
        assert.equal(err.code, 'INTERNAL');
        assert.match(err.message, /^stopped, but could not stop execution records; the server log has an error line for each/);
        return true;
      });
      const entries = logs.lines();
      const failed = entries.find((e) => e.msg === 'could not stop execution records; stopping the rest');
      assert.ok(failed !== undefined && failed.level === 50, JSON.stringify(entries.map((e) => e.msg)));
      const dropped = entries.find((e) => e.msg === 'execution records could not be written before shutdown and were dropped');
      assert.ok(dropped !== undefined && dropped.level === 50, 'the dropped records are logged');
      assert.equal(dropped.dropped, 3);
      assert.deepEqual([dropped.firstId, dropped.lastId], [ids[0], ids[2]]);
      const last = entries[entries.length - 1]!;
      assert.equal(last.msg, 'stopped');
      assert.deepEqual(last.failed, ['execution records']);
      assert.deepEqual(openInDataDir(), [], 'queue, store, schedule store and checkpointer closed all the same');
    } finally {
      full = false;
      await server.close().catch(() => undefined); // the same rejection again; removes the data dir
    }
  });

  it('deploys in flight when the server stops finish their syntax check and are stored, not refused with a 500', async () => {
    const server = await startTestServer({ AIRLOCK_SHUTDOWN_GRACE_MS: '10000' });
    let stopped: Promise<void> | undefined;
    try {
      // About 200 KiB each: each check sandbox parses for a while; two checks run at once.
      const big = (i: number) => `export default async () => ${i};\n` + Array.from({ length: 4000 }, (_, j) => `export const v${j} = ${j} * 2; // ${'x'.repeat(20)}`).join('\n');
      const deploys = [0, 1].map((i) => server.request('PUT', `/v1/tenants/acme/functions/big${i}`, { code: big(i), runtime: 'javascript' }));
      // Check sandboxes running now: their parse-check program (node) is a descendant of this process.
      const checks = (): number => descendants(process.pid).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('parse-check');
        } catch {
          return false;
        }
      }).length;
      // Stop once a deploy is in its check: the other, sent with it, has been read whole by then
      // (a request the server has not read yet may have its connection closed by the stop) and is
      // in its check too or still waiting for its type stripping (one source at a time).
      for (let i = 0; i < 2000 && checks() < 1; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(checks() >= 1, 'a deploy was being checked');
      stopped = server.airlock.stop();
      const answers = await Promise.all(deploys);
      for (const res of answers) assert.equal(res.status, 201, JSON.stringify(res.body));
      await stopped;
    } finally {
      await (stopped ?? server.airlock.stop()).catch(() => undefined);
      await server.close();
    }
  });
});
