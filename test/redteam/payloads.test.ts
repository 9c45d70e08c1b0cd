// Red team, payload bombs: deeply nested and oversized inputs are refused with a 4xx before
// anything runs, deeply nested and oversized results fail the execution with a clear error,
// and oversized source (a bundle's too) is refused at deploy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resultOf, sendOversized, startRedteamServer } from './support.js';
import type { RedteamServer } from './support.js';

interface ErrorBody {
  error: { code: string; message: string };
}

/** Counts its own calls (per function: warm sandboxes are shared by a tenant's functions). */
const ECHO = `export default async (input, ctx) => {
  const calls = (globalThis.calls ??= {});
  calls[ctx.function] = (calls[ctx.function] ?? 0) + 1;
  return { calls: calls[ctx.function], type: typeof input };
};`;

/**
 * 413 with the code; a streamed body may instead be cut off by the server closing the
 * connection (its 413 lost to the reset), which refuses it just the same.
 */
function assertRefused(answer: { status: number; text: string }, declared: boolean, code: string): void {
  if (!declared && answer.status === 0) return;
  assert.equal(answer.status, 413, answer.text);
  assert.equal((JSON.parse(answer.text) as ErrorBody).error.code, code);
}

describe('red team: payload bombs', () => {
  let srv: RedteamServer;
  before(async () => {
    srv = await startRedteamServer();
  });
  after(async () => {
    await srv.stop();
  });

  async function invokeRaw(fn: string, body: string): Promise<{ status: number; body: ErrorBody }> {
    const res = await fetch(`${srv.url}/v1/tenants/mallory/functions/${fn}/invoke`, { method: 'POST', headers: srv.headers, body });
    const text = await res.text();
    srv.assertNoCanary(text);
    return { status: res.status, body: JSON.parse(text) as ErrorBody };
  }

  /** The function ran exactly `expected` times so far (refused inputs never reached it). */
  async function assertCalls(fn: string, expected: number): Promise<void> {
    const answer = await srv.invoke('mallory', fn, null);
    assert.equal(resultOf<{ calls: number }>(answer).calls, expected);
  }

  it('a deeply nested input is refused with 400 INPUT_TOO_DEEP before it runs', async () => {
    const first = await srv.attack('echo-deep', ECHO, { input: 1 });
    assert.equal(resultOf<{ calls: number }>(first).calls, 1);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await invokeRaw('echo-deep', `{"input":${deep}}`);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'INPUT_TOO_DEEP');
    assert.match(res.body.error.message, /256/);
    const justOver = '{"a":'.repeat(257) + '1' + '}'.repeat(257);
    const over = await invokeRaw('echo-deep', `{"input":${justOver}}`);
    assert.equal(over.status, 400);
    assert.equal(over.body.error.code, 'INPUT_TOO_DEEP');
    await assertCalls('echo-deep', 2);
  });

  it('an oversized input is refused with 413 INPUT_TOO_LARGE, at the function limit and at the body limit', async () => {
    const dep = await srv.deploy('mallory', 'echo-big', ECHO, { limits: { inputBytes: 1024 } });
    assert.ok(dep.status < 300, await dep.text());
    const overLimit = await invokeRaw('echo-big', JSON.stringify({ input: 'x'.repeat(2048) }));
    assert.equal(overLimit.status, 413);
    assert.equal(overLimit.body.error.code, 'INPUT_TOO_LARGE');
    assert.match(overLimit.body.error.message, /1024/);
    // Above the server's body limit (twice the 5.5 MiB input, plus an envelope), declared or streamed.
    for (const declared of [true, false]) {
      const overBody = await sendOversized(`${srv.url}/v1/tenants/mallory/functions/echo-big/invoke`, 'POST', srv.headers, 16 * 1024 * 1024, declared);
      srv.assertNoCanary(overBody.text);
      assertRefused(overBody, declared, 'INPUT_TOO_LARGE');
    }
    await assertCalls('echo-big', 1);
  });

  it('a deeply nested result fails the execution with a clear error (ResultTooDeep, ResultNotSerializable)', async () => {
    const tooDeep = await srv.attack('deeper-result', `export default async () => { let v = 1; for (let i = 0; i < 100_000; i++) v = [v]; return v; };`);
    srv.assertNoCanary(tooDeep);
    assert.equal(tooDeep.body.status, 'failed');
    assert.equal(tooDeep.body.error?.type, 'ResultNotSerializable', 'too deep even to serialize inside the sandbox');
    assert.match(tooDeep.body.error?.message ?? '', /not JSON-serializable/);

    // Serializable in the sandbox, refused by the host's own depth check.
    const answer = await srv.attack(
      'deep-result',
      `export default async () => { let v = 1; for (let i = 0; i < 300; i++) v = [v]; return v; };`,
    );
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'failed', JSON.stringify(answer.body).slice(0, 500));
    assert.equal(answer.body.error?.type, 'ResultTooDeep');
    assert.match(answer.body.error?.message ?? '', /deeper than 256 levels/);
    assert.equal(answer.body.result, undefined);
    assert.equal(answer.record?.status, 'failed');
  });

  it('an oversized result fails the execution with ResultTooLarge', async () => {
    const answer = await srv.attack('big-result', `export default async () => 'x'.repeat(64 * 1024);`, { limits: { resultBytes: 16 * 1024 } });
    srv.assertNoCanary(answer);
    assert.equal(answer.body.status, 'failed');
    assert.equal(answer.body.error?.type, 'ResultTooLarge');
    assert.match(answer.body.error?.message ?? '', /above the limit of 16384 bytes/);
    assert.equal(answer.body.result, undefined);
    assert.equal(answer.record?.status, 'failed');
  });

  it('oversized source is refused with 413 SOURCE_TOO_LARGE, and nothing is deployed', async () => {
    const code = `export default async () => 1;\n//${'x'.repeat(256 * 1024)}`;
    const res = await srv.deploy('mallory', 'huge-source', code);
    assert.equal(res.status, 413);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, 'SOURCE_TOO_LARGE');
    // Calling it a bundle raises the limit to 5 MiB by default, not further.
    const bundle = await srv.deploy('mallory', 'huge-source', `export default async () => 1;\n//${'x'.repeat(5 * 1024 * 1024)}`, { bundle: true });
    assert.equal(bundle.status, 413);
    assert.match(((await bundle.json()) as ErrorBody).error.message, /above the limit for a bundle of 5242880 bytes \(AIRLOCK_MAX_BUNDLE_BYTES\)/);
    for (const declared of [true, false]) {
      // Above a deploy's body limit at the default bundle limit (twice 5 MiB, plus 64 KiB).
      const huge = await sendOversized(`${srv.url}/v1/tenants/mallory/functions/huge-source`, 'PUT', srv.headers, 12 * 1024 * 1024, declared);
      assertRefused(huge, declared, 'SOURCE_TOO_LARGE');
    }
    const get = await fetch(`${srv.url}/v1/tenants/mallory/functions/huge-source`, { headers: srv.headers });
    assert.equal(get.status, 404);
  });

  // Found by this suite: the type stripper (swc) backtracks exponentially on nested angle-bracket
  // type assertions and ran on the server's event loop, so a deploy of a couple of hundred bytes (thirty
  // deep: hours of parsing) stopped every tenant's calls. It now runs in a thread of its own, cut
  // off at its deadline. Without the fix this test does not finish.
  it('a small source that keeps the type stripper busy is refused with SYNTAX_ERROR, and the server serves meanwhile', async () => {
    assert.equal((await srv.deploy('bystander', 'echo', ECHO)).status < 300, true);
    const depth = 40;
    const code = `export default () => ${'<T>('.repeat(depth)}1${')'.repeat(depth)};`;
    assert.ok(code.length < 250, 'a source of a few hundred bytes');
    const deploying = srv.deploy('mallory', 'backtrack', code).then(async (res) => ({ status: res.status, text: await res.text() }));
    // While the stripper works on it, another tenant's call is answered.
    const call = await srv.invoke('bystander', 'echo', null);
    assert.equal(resultOf<{ calls: number }>(call).calls >= 1, true);
    assert.equal(await srv.healthy(), true);
    const refused = await deploying;
    assert.equal(refused.status, 400, refused.text);
    const body = JSON.parse(refused.text) as ErrorBody;
    assert.equal(body.error.code, 'SYNTAX_ERROR');
    assert.match(body.error.message, /did not finish this module within \d+ ms; .*write `x as T` instead/);
    assert.equal((await fetch(`${srv.url}/v1/tenants/mallory/functions/backtrack`, { headers: srv.headers })).status, 404);
    // The stripper works again for the next deploy (a new thread).
    const next = await srv.deploy('mallory', 'backtrack', 'export default (x: number): number => x + 1;');
    assert.equal(next.status < 300, true, await next.text());
  });
});
