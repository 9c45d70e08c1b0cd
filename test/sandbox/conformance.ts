// The isolator conformance suite: every isolator (bwrap, process) must pass it. Each test runs
// real tenant code in a real sandbox and asserts the safe outcome (status, error type, sandbox
// state, no process left), never merely that "something failed".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import type { IsolatorName } from '../../src/core/config.js';
import type { Sandbox, SandboxRunOutcome } from '../../src/sandbox/port.js';
import { FRAME_WRITER, Tracker, assertNoChildren, leftovers, request, ticksSinceBoot, waitFor } from './support.js';
import type { RequestOptions } from './support.js';

const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** Spawns a sandbox, hands it to fn, and always destroys it and checks for leftovers. */
async function withSandbox(kind: IsolatorName, fn: (sb: Sandbox, tracker: Tracker) => Promise<void>, memoryMiB = 64): Promise<void> {
  const tracker = new Tracker(kind);
  try {
    await fn(await tracker.spawn(memoryMiB), tracker);
  } finally {
    await tracker.cleanup();
  }
}

async function runOnce(kind: IsolatorName, code: string, opts: RequestOptions = {}, memoryMiB = 64): Promise<{ outcome: SandboxRunOutcome; alive: boolean }> {
  let result: { outcome: SandboxRunOutcome; alive: boolean } | undefined;
  await withSandbox(
    kind,
    async (sb) => {
      const outcome = await sb.run(request(code, opts));
      result = { outcome, alive: sb.alive };
    },
    memoryMiB,
  );
  assert.ok(result);
  return result;
}

function assertKilledSandbox(outcome: SandboxRunOutcome, alive: boolean, status: SandboxRunOutcome['status'], type: string): void {
  assert.equal(outcome.status, status, JSON.stringify(outcome));
  assert.equal(outcome.error?.type, type);
  assert.equal(outcome.reusable, false);
  assert.equal(alive, false, 'the sandbox was destroyed');
}

export function conformance(kind: IsolatorName): void {
  describe(`isolator conformance: ${kind}`, () => {
    after(() => assertNoChildren());

    it('runs a function and returns its result', async () => {
      const { outcome, alive } = await runOnce(kind, 'export default async function (input) { return { doubled: input.n * 2, s: "ok" }; }', { input: { n: 21 } });
      assert.equal(outcome.status, 'succeeded');
      assert.deepEqual(outcome.result, { doubled: 42, s: 'ok' });
      assert.equal(outcome.reusable, true);
      assert.equal(alive, true);
      assert.ok(outcome.durationMs >= 0);
      assert.equal(Math.round(outcome.durationMs * 1000) / 1000, outcome.durationMs, 'durations are whole microseconds, no float noise');
    });

    it('accepts `export async function handler` and returns undefined as no result', async () => {
      const { outcome } = await runOnce(kind, 'export async function handler() { return undefined; }');
      assert.equal(outcome.status, 'succeeded');
      assert.equal(Object.hasOwn(outcome, 'result'), false);
    });

    it('reuses a sandbox and loads each version once', async () => {
      await withSandbox(kind, async (sb) => {
        const code = 'globalThis.loads = (globalThis.loads ?? 0) + 1; export default async (input) => ({ loads: globalThis.loads, n: input });';
        const first = await sb.run(request(code, { input: 1 }));
        const second = await sb.run(request(code, { input: 2 }));
        assert.deepEqual(first.result, { loads: 1, n: 1 });
        assert.deepEqual(second.result, { loads: 1, n: 2 });
        const other = await sb.run(request(code + '\n// another version', { input: 3 }));
        assert.deepEqual(other.result, { loads: 2, n: 3 }, 'a new version is its own module');
        assert.equal(sb.alive, true);
      });
    });

    it('reports a thrown error with a stack trimmed to the tenant module', async () => {
      const code = ['function inner() {', '  throw new TypeError("bad thing happened");', '}', 'export default async function () { inner(); }'].join('\n');
      const { outcome, alive } = await runOnce(kind, code, { functionName: 'my-fn' });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'TypeError');
      assert.equal(outcome.error?.message, 'bad thing happened');
      const stack = outcome.error?.stack ?? '';
      assert.match(stack, /TypeError: bad thing happened/);
      assert.match(stack, /at inner \(file:\/\/\/.*my-fn\.[0-9a-f]{12}\.mjs:2:9\)/);
      assert.doesNotMatch(stack, /harness|node:internal/);
      assert.equal(outcome.reusable, true);
      assert.equal(alive, true);
    });

    it('names errors of custom classes by their constructor', async () => {
      const code = 'class QuotaError extends Error {}\nexport default async () => { throw new QuotaError("over"); }';
      const { outcome } = await runOnce(kind, code);
      assert.equal(outcome.error?.type, 'QuotaError');
      assert.equal(outcome.error?.message, 'over');
    });

    it("keeps an error's causes and an AggregateError's errors in its message", async () => {
      const code = `export default async (input) => {
        if (input.aggregate) throw new AggregateError([new TypeError('one'), new RangeError('two'), 'three'], 'all failed');
        const root = new Error('ECONNREFUSED 10.0.0.1:443');
        throw new TypeError('fetch failed', { cause: new Error('connect failed', { cause: root }) });
      };`;
      const caused = await runOnce(kind, code, { input: {} });
      assert.equal(caused.outcome.error?.type, 'TypeError');
      assert.equal(caused.outcome.error?.message, 'fetch failed (caused by Error: connect failed, caused by Error: ECONNREFUSED 10.0.0.1:443)');
      const aggregate = await runOnce(kind, code, { input: { aggregate: true } });
      assert.equal(aggregate.outcome.error?.type, 'AggregateError');
      assert.equal(aggregate.outcome.error?.message, "all failed; errors: TypeError: one; RangeError: two; 'three'");
    });

    it('handles thrown non-Error values', async () => {
      for (const thrown of ['"boom"', 'null', '{ code: 7 }', '42']) {
        const { outcome } = await runOnce(kind, `export default async () => { throw ${thrown}; }`);
        assert.equal(outcome.status, 'failed');
        assert.equal(outcome.error?.type, 'NonErrorThrown', thrown);
        assert.match(outcome.error?.message ?? '', /non-Error value/);
      }
    });

    it('fails the run on an exception or rejection escaping the handler, and stays usable', async () => {
      await withSandbox(kind, async (sb) => {
        const thrown = await sb.run(request('export default async () => new Promise(() => { setTimeout(() => { throw new RangeError("async boom"); }, 0); });'));
        assert.equal(thrown.status, 'failed');
        assert.equal(thrown.error?.type, 'RangeError');
        assert.equal(thrown.error?.message, 'async boom');
        const rejected = await sb.run(request('export default async () => { Promise.reject(new TypeError("forgotten")); return new Promise(() => {}); };'));
        assert.equal(rejected.status, 'failed');
        assert.equal(rejected.error?.type, 'TypeError');
        assert.equal(sb.alive, true);
        const next = await sb.run(request('export default async () => "still fine";'));
        assert.equal(next.result, 'still fine');
      });
    });

    it('fails clearly when the module has no handler export', async () => {
      const { outcome, alive } = await runOnce(kind, 'export const helper = 1;');
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'MissingHandler');
      assert.match(outcome.error?.message ?? '', /export default async function/);
      assert.match(outcome.error?.message ?? '', /helper/);
      assert.equal(alive, true);
    });

    it('says what the default export is when it is not a function', async () => {
      const { outcome } = await runOnce(kind, 'export default 42;');
      assert.equal(outcome.error?.type, 'MissingHandler');
      assert.match(outcome.error?.message ?? '', /; its default export is a number, not a function$/);
    });

    it('reports a syntax error in the module', async () => {
      const { outcome } = await runOnce(kind, 'export default async () => { return ; ; }}}');
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'SyntaxError');
    });

    it('passes ctx with execution id, tenant, function, deadline, signal and log', async () => {
      const code = `export default async (input, ctx) => ({
        executionId: ctx.executionId, tenant: ctx.tenant, fn: ctx.function, deadline: ctx.deadline,
        signal: ctx.signal instanceof AbortSignal && !ctx.signal.aborted,
        log: ['debug', 'info', 'warn', 'error'].every((l) => typeof ctx.log[l] === 'function'),
      });`;
      const before = Date.now();
      const req = request(code, { tenant: 'acme', functionName: 'sync-users', timeoutMs: 5_000 });
      await withSandbox(kind, async (sb) => {
        const outcome = await sb.run(req);
        const after = Date.now();
        const r = outcome.result as Record<string, unknown>;
        assert.equal(r.executionId, req.executionId);
        assert.equal(r.tenant, 'acme');
        assert.equal(r.fn, 'sync-users');
        assert.ok(typeof r.deadline === 'number' && r.deadline >= before + 5_000 && r.deadline <= after + 5_000);
        assert.equal(r.signal, true);
        assert.equal(r.log, true);
      });
    });

    it('aborts ctx.signal before the deadline', async () => {
      const code = `export default async (input, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return { abortedAt: Date.now(), deadline: ctx.deadline, reason: ctx.signal.reason?.name };
      };`;
      const { outcome, alive } = await runOnce(kind, code, { timeoutMs: 1_000 });
      assert.equal(outcome.status, 'succeeded');
      const r = outcome.result as { abortedAt: number; deadline: number; reason: string };
      assert.ok(r.abortedAt < r.deadline, 'signal fired before the deadline');
      assert.equal(r.reason, 'TimeoutError');
      assert.equal(alive, true);
    });

    it('captures console, ctx.log, process.stdout/stderr and raw fd 1/2 output', async () => {
      const code = `import { writeSync } from 'node:fs';
        export default async (input, ctx) => {
          console.log('console log %d', 1); console.info('console info'); console.debug('console debug');
          console.warn('console warn'); console.error('console error'); console.dirxml('console dirxml');
          ctx.log.info('ctx info', { a: 1 }); ctx.log.error('ctx error');
          process.stdout.write('stdout write\\n'); process.stderr.write('stderr write\\n');
          writeSync(1, 'raw fd1\\n'); writeSync(2, 'raw fd2 no newline');
          return 'ok';
        };`;
      const { outcome } = await runOnce(kind, code);
      assert.equal(outcome.status, 'succeeded');
      const lines = outcome.logs.map((l) => `${l.level}:${l.msg}`);
      for (const expected of [
        'info:console log 1', 'info:console info', 'debug:console debug', 'warn:console warn', 'error:console error', 'info:console dirxml',
        'info:ctx info { a: 1 }', 'error:ctx error', 'stdout:stdout write', 'stderr:stderr write',
        'stdout:raw fd1', 'stderr:raw fd2 no newline',
      ]) {
        assert.ok(lines.includes(expected), `${expected} in ${JSON.stringify(lines)}`);
      }
      assert.ok(outcome.logs.every((l) => typeof l.ts === 'number'));
    });

    it('raw writes to fd 1 and 2 faster than the host reads wait for room instead of failing with EAGAIN', async () => {
      // 4 MB each way in 1000-byte writes, far beyond the socket's buffer: each write blocks
      // until the host has read, as on a pipe; nothing is thrown to the function.
      const code = `import { writeSync } from 'node:fs';
        export default async () => {
          const chunk = Buffer.alloc(1000, 0x42); chunk[999] = 10;
          const written = [0, 0];
          for (const fd of [1, 2]) for (let i = 0; i < 4000; i++) written[fd - 1] += writeSync(fd, chunk);
          writeSync(1, 'LAST\\n');
          return written;
        };`;
      const { outcome } = await runOnce(kind, code, { logBytes: 16 * 1024 });
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.deepEqual(outcome.result, [4_000_000, 4_000_000]);
      assert.ok(outcome.logs.some((l) => l.msg.startsWith('[logs truncated')), 'over the log budget: truncated, not failed');
      assert.equal(outcome.logs.at(-1)?.msg, 'LAST');
    });

    it('adds no line for a zero-length write to stdout or stderr, and keeps a blank one', async () => {
      // execSync hands the child's empty stderr to process.stderr.write: no line for it.
      const code = `import { execSync } from 'node:child_process';
        export default async () => {
          execSync('true');
          process.stderr.write(''); process.stdout.write(new Uint8Array(0));
          process.stdout.write('\\n'); console.log('end');
          return 'ok';
        };`;
      const { outcome } = await runOnce(kind, code);
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
      assert.deepEqual(outcome.logs.map((l) => [l.level, l.msg]), [['stdout', ''], ['info', 'end']]);
    });

    it('caps logs at logBytes: the first lines, a truncation marker, then the newest lines', async () => {
      const code = `export default async () => { for (let i = 0; i < 200; i++) console.log('line ' + i + ' ' + 'x'.repeat(20)); return 'done'; };`;
      const { outcome, alive } = await runOnce(kind, code, { logBytes: 300 });
      assert.equal(outcome.status, 'succeeded');
      const at = outcome.logs.findIndex((l) => l.msg.startsWith('[logs truncated'));
      const marker = outcome.logs[at];
      assert.equal(marker?.level, 'warn');
      // Each line costs 27 to 29 bytes of JSON text plus 12: the first three fit in half of 300 bytes
      // (123), the newest four in what is left (164 of 177); lines 3 to 195 are left out.
      const text = (i: number) => `line ${i} ${'x'.repeat(20)}`;
      const leftOutBytes = Array.from({ length: 193 }, (_, i) => text(i + 3).length).reduce((a, b) => a + b, 0);
      assert.equal(
        marker!.msg,
        `[logs truncated: the execution logged more than limits.logBytes (300 bytes); 193 lines (${leftOutBytes.toLocaleString('en-US')} bytes) left out here, ` +
          'between the first and the last lines it logged; log less, or raise limits.logBytes when deploying the function ' +
          '(airlock deploy --log-bytes N; up to the operator maximum)]',
      );
      assert.deepEqual(
        outcome.logs.filter((l) => l !== marker).map((l) => l.msg),
        [0, 1, 2, 196, 197, 198, 199].map(text),
      );
      const body = outcome.logs.filter((l) => l !== marker);
      const bytes = body.reduce((n, l) => n + Buffer.byteLength(l.msg) + 12, 0);
      assert.ok(bytes <= 300, `captured ${bytes} bytes`);
      assert.equal(alive, true, 'too much output is not a reason to destroy the sandbox');
    });

    it('ends a console line too long for what is left of logBytes with an ellipsis, keeping what fits', async () => {
      const line = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
      const code = `export default async (input) => { console.log('first'); console.log(input.line); };`;
      const { outcome } = await runOnce(kind, code, { logBytes: 200, input: { line } });
      assert.equal(outcome.status, 'succeeded');
      const msgs = outcome.logs.map((l) => l.msg);
      assert.equal(msgs.length, 3, JSON.stringify(msgs));
      assert.equal(msgs[0], 'first');
      assert.match(msgs[1]!, /^\[logs truncated: .*limits\.logBytes \(200 bytes\); a line too long for what was left of it was cut and ends with …;/);
      const cut = msgs[2]!;
      assert.ok(cut.endsWith('…') && line.startsWith(cut.slice(0, -1)), cut);
      assert.ok(Buffer.byteLength(cut) > 150, `most of the budget is kept: ${cut}`);
    });

    it('keeps the first and the newest lines of output written to fd 1 and 2 and to process.stdout', async () => {
      // 2000 lines of 100 bytes and "LAST" each way, under a 16 KiB limit: raw writes reach the
      // host's collector only, process.stdout.write goes through the harness's capture.
      const code = `import { writeSync } from 'node:fs';
        export default async (input) => {
          const lines = Array.from({ length: 2000 }, (_, i) => String(i).padStart(4, '0') + ' ' + 'x'.repeat(95));
          const raw = (text) => { const b = Buffer.from(text); let at = 0; while (at < b.length) at += writeSync(2, b, at); };
          if (input.raw) { for (const l of lines) raw(l + '\\n'); raw('LAST\\n'); }
          else { for (const l of lines) process.stdout.write(l + '\\n'); process.stdout.write('LAST\\n'); }
          throw new Error('boom');
        };`;
      const logBytes = 16 * 1024;
      for (const raw of [true, false]) {
        const { outcome } = await runOnce(kind, code, { logBytes, input: { raw } });
        assert.equal(outcome.status, 'failed', JSON.stringify(outcome.error));
        const at = outcome.logs.findIndex((l) => l.msg.startsWith('[logs truncated'));
        assert.ok(at > 0, `raw ${raw}: ${JSON.stringify(outcome.logs.slice(-2))}`);
        const head = outcome.logs.slice(0, at);
        const tail = outcome.logs.slice(at + 1);
        const expected = (i: number) => `${String(i).padStart(4, '0')} ${'x'.repeat(95)}`;
        assert.deepEqual(head.map((l) => l.msg), head.map((_, i) => expected(i)), `raw ${raw}: the first lines`);
        assert.equal(tail.at(-1)?.msg, 'LAST');
        const first = 2000 - (tail.length - 1);
        assert.deepEqual(tail.slice(0, -1).map((l) => l.msg), tail.slice(0, -1).map((_, i) => expected(first + i)), `raw ${raw}: the newest lines`);
        assert.ok(head.length > 50 && tail.length > 50, `${head.length} + ${tail.length} lines`);
        const leftOut = first - head.length;
        assert.ok(outcome.logs[at]!.msg.includes(`; ${leftOut.toLocaleString('en-US')} lines (${(leftOut * 100).toLocaleString('en-US')} bytes) left out here`), outcome.logs[at]!.msg);
        assert.ok(outcome.logs.every((l) => l === outcome.logs[at] || l.level === (raw ? 'stderr' : 'stdout')));
        const bytes = [...head, ...tail].reduce((n, l) => n + Buffer.byteLength(l.msg) + 12, 0);
        assert.ok(bytes <= logBytes && bytes > logBytes * 0.9, `${bytes} bytes kept`);
      }
    });

    it('floods of short lines and one huge line keep the logs within logBytes and the logs frames within their bound', async () => {
      // About 1 MiB of short console lines in a tight loop, with pauses so the harness sends
      // frames as it goes; then a single line of 1 MiB.
      const code = `export default async (input) => {
          if (input.huge) { console.log('h'.repeat(1 << 20)); return 'huge'; }
          for (let i = 0; i < 100_000; i++) {
            console.log('n' + i);
            if (i % 20_000 === 0) await new Promise((r) => setTimeout(r, 60));
          }
          return 'flood';
        };`;
      for (const logBytes of [4096, 64 * 1024]) {
        const flood = (await runOnce(kind, code, { logBytes, input: { huge: false } })).outcome;
        assert.equal(flood.status, 'succeeded', `not killed for its frames: ${JSON.stringify(flood.error)}`);
        const marker = flood.logs.find((l) => l.msg.startsWith('[logs truncated'));
        assert.ok(marker);
        const kept = flood.logs.filter((l) => l !== marker);
        const bytes = kept.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l.msg)) + 12, 0);
        assert.ok(bytes <= logBytes, `${bytes} bytes kept`);
        assert.equal(kept[0]!.msg, 'n0');
        assert.equal(kept.at(-1)!.msg, 'n99999');
        const left = Number(/; ([\d,]+) lines/.exec(marker.msg)![1]!.replace(/,/g, ''));
        assert.equal(left + kept.length, 100_000, marker.msg);
      }
      const huge = (await runOnce(kind, code, { logBytes: 4096, input: { huge: true } })).outcome;
      assert.equal(huge.status, 'succeeded');
      assert.equal(huge.logs.length, 2, JSON.stringify(huge.logs.map((l) => l.msg.slice(0, 40))));
      assert.match(huge.logs[0]!.msg, /^\[logs truncated: .*; a line too long for what was left of it was cut/);
      assert.match(huge.logs[1]!.msg, /^h+…$/);
      assert.ok(Buffer.byteLength(huge.logs[1]!.msg) + 12 <= 4096 && Buffer.byteLength(huge.logs[1]!.msg) > 4000);
    });

    it('keeps logs under logBytes whole, with no marker, even past half of it', async () => {
      const code = `export default async () => { for (let i = 0; i < 200; i++) console.log('line ' + String(i).padStart(3, '0') + ' ' + 'x'.repeat(50)); return 1; };`;
      const { outcome } = await runOnce(kind, code, { logBytes: 200 * (60 + 2 + 12) });
      assert.equal(outcome.status, 'succeeded');
      assert.deepEqual(outcome.logs.map((l) => l.msg), Array.from({ length: 200 }, (_, i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(50)}`));
    });

    it('escapes ANSI sequences and control characters in logs', async () => {
      const code = `import { writeSync } from 'node:fs';
        export default async () => {
          console.log('\\x1b[31mred\\x1b[0m bell\\x07 cr\\r nul\\x00 tab\\tend');
          writeSync(2, '\\x1b]0;evil title\\x07after \\x1b[2J\\x9b31m c1\\n');
          return 1;
        };`;
      const { outcome } = await runOnce(kind, code);
      assert.ok(outcome.logs.length >= 2);
      for (const line of outcome.logs) assert.doesNotMatch(line.msg, CONTROL_CHARS, JSON.stringify(line.msg));
      const all = outcome.logs.map((l) => l.msg).join('\n');
      assert.match(all, /red bell\\x07 cr\\x0d nul\\x00 tab\tend/);
      assert.match(all, /after \\x9b31m c1/);
    });

    it('carries a 5.5 MiB input and a result of exactly resultBytes', async () => {
      await withSandbox(kind, async (sb) => {
        const blob = 'x'.repeat(5.5 * 1024 * 1024 - 16);
        const big = await sb.run(request('export default async (input) => input.blob.length;', { input: { blob } }));
        assert.equal(big.result, blob.length);
        const limit = 256 * 1024;
        const exact = await sb.run(request(`export default async () => 'y'.repeat(${limit - 2});`, { resultBytes: limit, logBytes: 0 }));
        assert.equal(exact.status, 'succeeded');
        assert.equal((exact.result as string).length, limit - 2);
      });
    });

    it('fails a result above resultBytes with ResultTooLarge', async () => {
      const { outcome, alive } = await runOnce(kind, 'export default async () => "x".repeat(5000);', { resultBytes: 1000 });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'ResultTooLarge');
      assert.match(outcome.error?.message ?? '', /1000 bytes/);
      assert.match(outcome.error?.message ?? '', /limits\.resultBytes/);
      assert.equal(outcome.result, undefined);
      assert.equal(alive, true);
    });

    it('re-measures results itself: a forged oversized result destroys the sandbox', async () => {
      const code = `${FRAME_WRITER}
        export default async (input, ctx) => {
          writeFrame(JSON.stringify({ t: 'done', id: ctx.executionId, ok: true, result: 'x'.repeat(5000), logs: [], logsTruncated: false }));
          await new Promise(() => {});
        };`;
      const { outcome, alive } = await runOnce(kind, code, { resultBytes: 1000 });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'ResultTooLarge');
      assert.equal(outcome.result, undefined);
      assert.equal(outcome.reusable, false);
      assert.equal(alive, false);
    });

    it('measures the result as it will be served: short number tokens that expand still count', async () => {
      // "9e20" is 4 bytes in the frame but 21 digits once re-serialized: the frame is under the
      // limit, the result the host would serve is far above it.
      const code = `${FRAME_WRITER}
        export default async (input, ctx) => {
          writeFrame('{"t":"done","id":' + JSON.stringify(ctx.executionId) + ',"ok":true,"result":[' + Array(150).fill('9e20').join(',') + '],"logs":[],"logsTruncated":false}');
          await new Promise(() => {});
        };`;
      const { outcome, alive } = await runOnce(kind, code, { resultBytes: 1000 });
      assert.equal(outcome.status, 'failed', JSON.stringify(outcome).slice(0, 300));
      assert.equal(outcome.error?.type, 'ResultTooLarge');
      assert.equal(outcome.result, undefined);
      assert.equal(outcome.reusable, false);
      assert.equal(alive, false);
    });

    it('fails non-serializable results cleanly and keeps the sandbox', async () => {
      await withSandbox(kind, async (sb) => {
        for (const expr of ['10n', '{ big: 1n }', '(() => { const a = {}; a.self = a; return a; })()', '() => 1', '{ f() {} }', 'Symbol("s")']) {
          const outcome = await sb.run(request(`export default async () => (${expr});`));
          assert.equal(outcome.status, 'failed', expr);
          assert.equal(outcome.error?.type, 'ResultNotSerializable', expr);
          assert.equal(outcome.reusable, true);
        }
        assert.equal(sb.alive, true);
      });
    });

    it('fails results nested deeper than the limit', async () => {
      const code = 'export default async () => { let v = 1; for (let i = 0; i < 40; i++) v = [v]; return v; };';
      const { outcome } = await runOnce(kind, code, { maxResultDepth: 32 });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'ResultTooDeep');
    });

    it('does not let a __proto__ key in a result pollute host objects', async () => {
      const code = `export default async () => JSON.parse('{"a":1,"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted2":"yes"}},"nested":{"__proto__":{"polluted3":"yes"}}}');`;
      const { outcome } = await runOnce(kind, code);
      assert.equal(outcome.status, 'succeeded');
      const result = outcome.result as Record<string, unknown>;
      assert.equal(result.a, 1);
      assert.equal(Object.hasOwn(result, '__proto__'), false);
      // A naive deep merge of the result into a host object must not reach Object.prototype.
      const merge = (target: Record<string, unknown>, source: Record<string, unknown>): void => {
        for (const key of Object.keys(source)) {
          const value = source[key];
          if (value !== null && typeof value === 'object') {
            if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
            merge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
          } else target[key] = value;
        }
      };
      merge({}, result);
      const probe: Record<string, unknown> = {};
      assert.equal(probe.polluted, undefined);
      assert.equal(probe.polluted2, undefined);
      assert.equal(probe.polluted3, undefined);
    });

    it('kills a busy loop at the deadline: status timeout, sandbox dead, nothing left', async () => {
      const tracker = new Tracker(kind);
      try {
        const sb = await tracker.spawn();
        const outcome = await sb.run(request('export default async () => { while (true) {} };', { timeoutMs: 300 }));
        assert.equal(outcome.status, 'timeout');
        assert.equal(outcome.error?.type, 'Timeout');
        assert.match(outcome.error?.message ?? '', /300 ms/);
        assert.equal(outcome.reusable, false);
        assert.equal(sb.alive, false);
        const destroyedAt = ticksSinceBoot();
        await sb.destroy();
        assert.deepEqual(leftovers(tracker.footprintOf(sb), destroyedAt), []);
      } finally {
        await tracker.cleanup();
      }
    });

    it('keeps the lines a run logged before its deadline, stamped near when they were written', async () => {
      const code = `export default async (input, ctx) => {
        console.log('started'); ctx.log.warn('waiting on something slow');
        await new Promise((resolve) => setTimeout(resolve, 200));
        ctx.log.info('still waiting');
        await new Promise(() => {});
      };`;
      // Timed from the run's start (the sandbox's boot is not the run's) to its answer.
      let startedAt = 0;
      let answeredAt = 0;
      let result: { outcome: SandboxRunOutcome; alive: boolean } | undefined;
      await withSandbox(kind, async (sb) => {
        startedAt = Date.now();
        const outcome = await sb.run(request(code, { timeoutMs: 1_000 }));
        answeredAt = Date.now();
        result = { outcome, alive: sb.alive };
      });
      const { outcome, alive } = result!;
      assertKilledSandbox(outcome, alive, 'timeout', 'Timeout');
      assert.deepEqual(outcome.logs.map((l) => [l.level, l.msg]), [['info', 'started'], ['warn', 'waiting on something slow'], ['info', 'still waiting']]);
      const [first, , last] = outcome.logs;
      // Sent within LOG_FLUSH_MS of being written, in two frames, not with the answer (whose lines
      // would all be stamped about when it came, at the deadline): the host stamps each frame as it
      // arrives, so the machine's load shifts the stamps but not their order or the gap to the end.
      const times = JSON.stringify({ logs: outcome.logs.map((l) => l.ts - startedAt), answered: answeredAt - startedAt });
      assert.ok(first!.ts < last!.ts, `two frames, stamped as they came: ${times}`);
      assert.ok(answeredAt - last!.ts >= 200, `the last line came well before the deadline: ${times}`);
    });

    it('keeps the lines a busy loop logged before its deadline, all but its last moments', async () => {
      // The loop never yields, so the harness's flush timer never fires: before, every line was
      // lost with the sandbox. Now a line written once that timer is overdue sends the lot.
      const code = `export default async () => {
        const started = Date.now(); let last = -1;
        for (;;) { const at = Date.now() - started; const tick = Math.floor(at / 20); if (tick !== last) { last = tick; console.log('tick ' + tick); } }
      };`;
      const { outcome, alive } = await runOnce(kind, code, { timeoutMs: 1_000 });
      assertKilledSandbox(outcome, alive, 'timeout', 'Timeout');
      const ticks = outcome.logs.map((l) => l.msg);
      assert.ok(ticks.length >= 5, `lines kept: ${JSON.stringify(ticks)}`);
      assert.deepEqual(ticks, ticks.map((_, i) => `tick ${i}`), 'in order, from the first, none missing');
    });

    it('keeps the lines a run logged before it ended the process', async () => {
      const code = "export default async (input, ctx) => { console.log('about to exit'); ctx.log.error('bye'); process.exit(3); };";
      const { outcome, alive } = await runOnce(kind, code);
      assertKilledSandbox(outcome, alive, 'killed', 'SandboxExited');
      assert.deepEqual(outcome.logs.map((l) => [l.level, l.msg]), [['info', 'about to exit'], ['error', 'bye']]);
    });

    it('sends a quick run its lines with the answer, in order with the ones sent before', async () => {
      const code = `export default async (input, ctx) => {
        console.log('one');
        await new Promise((resolve) => setTimeout(resolve, 150));
        console.log('two');
        return 'ok';
      };`;
      const { outcome } = await runOnce(kind, code);
      assert.equal(outcome.status, 'succeeded');
      assert.deepEqual(outcome.logs.map((l) => l.msg), ['one', 'two']);
    });

    for (const code of [0, 137]) {
      it(`classifies process.exit(${code}) as killed, never oom`, async () => {
        const { outcome, alive } = await runOnce(kind, `export default async () => { process.exit(${code}); };`);
        assertKilledSandbox(outcome, alive, 'killed', 'SandboxExited');
      });
    }

    // Without a cgroup (these isolators are built without one; test/sandbox/cgroup covers bwrap
    // with cgroups), only the process isolator reads V8's fatal message as oom: bwrap trusts
    // nothing but the cgroup's OOM counter, so without one the crash is reported as killed.
    it(`classifies a V8 heap overflow as ${kind === 'process' ? 'oom (V8 message fallback)' : 'killed (no cgroup, no trusted OOM signal)'}`, async () => {
      // Bounded loop: 1e5 iterations would need ~80 GB, far past the 32 MiB heap.
      const code = 'export default async () => { const keep = []; for (let i = 0; i < 1e5; i++) keep.push(new Array(100000).fill(Math.random())); return keep.length; };';
      const { outcome, alive } = await runOnce(kind, code, { timeoutMs: 60_000 }, 32);
      if (kind === 'process') {
        assertKilledSandbox(outcome, alive, 'oom', 'OutOfMemory');
        assert.match(outcome.error?.message ?? '', /32 MiB/);
      } else {
        assertKilledSandbox(outcome, alive, 'killed', 'SandboxExited');
      }
      // V8's report (last GCs, ~20 native frames of node itself) is cut to its FATAL ERROR line.
      const msgs = outcome.logs.map((l) => l.msg);
      assert.ok(msgs.some((m) => /^FATAL ERROR: .*JavaScript heap out of memory/.test(m)), JSON.stringify(msgs));
      assert.ok(!msgs.some((m) => /Native stack trace|Last few GCs|\[\/usr\/bin\/node\]|\[.*node\]$/.test(m)), JSON.stringify(msgs));
    });

    // The harness starts with --max-old-space-size (the memory limit) and sets it back to its
    // default once the heap exists: the limit must still hold, and V8's flag hash must be the
    // default one, or Node's code cache of its built-ins is rejected (~10 ms more per boot).
    it('keeps the heap limit while its V8 flags read as the defaults (the built-ins code cache applies)', async () => {
      const code = `import v8 from 'node:v8';
        export default async () => ({ limitMiB: v8.getHeapStatistics().heap_size_limit / 2 ** 20, tag: v8.cachedDataVersionTag() });`;
      const { outcome } = await runOnce(kind, code, {}, 48);
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
      const { limitMiB, tag } = outcome.result as { limitMiB: number; tag: number };
      // 48 MiB of old space plus the young generation; without the flag it would be gigabytes.
      assert.ok(limitMiB >= 48 && limitMiB <= 48 + 64, `heap limit ${limitMiB} MiB`);
      const defaults = spawnSync(process.execPath, ['-p', "require('v8').cachedDataVersionTag()"], { env: {}, encoding: 'utf8' });
      assert.equal(tag, Number(defaults.stdout.trim()), 'the sandbox runs with non-default V8 flags');
    });

    it('treats a fake frame printed on stdout as a log line', async () => {
      const code = `import { writeSync } from 'node:fs';
        export default async (input, ctx) => {
          const body = Buffer.from(JSON.stringify({ t: 'done', id: ctx.executionId, ok: true, result: 'forged', logs: [], logsTruncated: false }));
          const head = Buffer.alloc(4); head.writeUInt32BE(body.length, 0);
          writeSync(1, Buffer.concat([head, body, Buffer.from('\\n')]));
          return 'real';
        };`;
      const { outcome, alive } = await runOnce(kind, code);
      assert.equal(outcome.status, 'succeeded');
      assert.equal(outcome.result, 'real');
      assert.ok(outcome.logs.some((l) => l.level === 'stdout' && l.msg.includes('forged')));
      assert.equal(alive, true);
    });

    describe('hostile frames on fd 3', () => {
      const cases: [string, string][] = [
        ['malformed JSON', `writeFrame('{"t":"done", oops');`],
        ['an oversized length prefix', `__writeSync(3, Buffer.from([0xff, 0xff, 0xff, 0xf0]));`],
        ['an unsolicited ready frame', `writeFrame(JSON.stringify({ t: 'ready' }));`],
        ['a done frame with the wrong id', `writeFrame(JSON.stringify({ t: 'done', id: 'ex_other', ok: true, result: 1, logs: [], logsTruncated: false }));`],
        ['a done frame of the wrong shape', `writeFrame(JSON.stringify({ t: 'done', id: ctx.executionId, ok: 'yes', logs: [], logsTruncated: false }));`],
        ['a log entry with a made-up level', `writeFrame(JSON.stringify({ t: 'done', id: ctx.executionId, ok: true, logs: [['root', 'x']], logsTruncated: false }));`],
        ['an unknown frame type', `writeFrame(JSON.stringify({ t: 'result', id: ctx.executionId }));`],
        ['a cancelled frame for a run the host never took back', `writeFrame(JSON.stringify({ t: 'cancelled', id: ctx.executionId }));`],
        ['a logs frame for another execution', `writeFrame(JSON.stringify({ t: 'logs', id: 'ex_other', logs: [['info', 'x']] }));`],
        ['a logs frame with a made-up level', `writeFrame(JSON.stringify({ t: 'logs', id: ctx.executionId, logs: [['root', 'x']] }));`],
      ];
      for (const [name, statement] of cases) {
        it(`destroys the sandbox on ${name}`, async () => {
          const code = `${FRAME_WRITER}\nexport default async (input, ctx) => { ${statement} await new Promise(() => {}); };`;
          const { outcome, alive } = await runOnce(kind, code, { timeoutMs: 30_000 });
          assertKilledSandbox(outcome, alive, 'killed', 'SandboxProtocolError');
        });
      }

      it('destroys a sandbox that sends a frame while idle', async () => {
        await withSandbox(kind, async (sb) => {
          let exits = 0;
          sb.onExit(() => exits++);
          const code = `${FRAME_WRITER}\nexport default async () => { setTimeout(() => writeFrame(JSON.stringify({ t: 'ready' })), 20); return 'fine'; };`;
          const outcome = await sb.run(request(code));
          assert.equal(outcome.status, 'succeeded');
          await waitFor('the sandbox to be destroyed', () => exits === 1);
          assert.equal(sb.alive, false);
          const next = await sb.run(request('export default async () => 1;'));
          assert.equal(next.status, 'killed');
          assert.equal(next.error?.type, 'SandboxUnavailable');
        });
      });
    });

    it('destroy() is idempotent, resolves after exit, and onExit fires once', async () => {
      const tracker = new Tracker(kind);
      const sb = await tracker.spawn();
      let exits = 0;
      sb.onExit(() => exits++);
      const destroyedAt = ticksSinceBoot();
      await Promise.all([sb.destroy(), sb.destroy()]);
      assert.equal(sb.alive, false);
      assert.equal(exits, 1);
      assert.deepEqual(leftovers(tracker.footprintOf(sb), destroyedAt), []);
      await sb.destroy();
      let late = 0;
      sb.onExit(() => late++);
      await waitFor('late onExit listener', () => late === 1);
      assert.equal(exits, 1);
      await tracker.cleanup();
    });
  });
}
