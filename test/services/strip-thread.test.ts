// The type-stripping thread (services/strip/thread.ts): strips off the event loop, ends a strip
// that runs past its deadline with SYNTAX_ERROR, and strips the next source on a new thread;
// parse errors and swc's stack trap come back as amaro threw them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_QUEUED_PER_TENANT } from '../../src/services/node-parse.js';
import { StripThread } from '../../src/services/strip/thread.js';
import { rejectsWith } from '../support/rejects.js';

/** Nested angle-bracket assertions: swc backtracks exponentially (thirty deep takes hours). */
const BACKTRACKING = `let f = ${'<T>('.repeat(30)}1${')'.repeat(30)};`;

describe('strip thread', () => {
  it('strips TypeScript to JavaScript in place and returns a parse error as amaro reports it', async () => {
    const thread = new StripThread();
    assert.deepEqual(await thread.strip('let x: number = 1;', 'acme'), { code: 'let x         = 1;' });
    const broken = await thread.strip('let x = ;', 'acme');
    assert.equal(typeof (broken as { thrown: unknown }).thrown, 'string');
  });

  it('ends a strip at its deadline with SYNTAX_ERROR, while the event loop keeps running, and strips the next one', async () => {
    const thread = new StripThread(2_000);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    try {
      const err = await rejectsWith(thread.strip(BACKTRACKING, 'mallory'), 'SYNTAX_ERROR');
      assert.match(err.message, /did not finish this module within 2000 ms/);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(ticks > 0, 'the event loop ran while the thread worked');
    assert.deepEqual(await thread.strip('export default (x: string) => x;', 'acme'), { code: 'export default (x        ) => x;' });
  });

  it("serves tenants in turn, and refuses a tenant's source beyond those allowed to wait (TOO_MANY_REQUESTS)", async () => {
    const thread = new StripThread(2_000);
    const order: string[] = [];
    const busy = thread.strip(BACKTRACKING, 'mallory').catch((err: unknown) => err);
    const queued = Array.from({ length: MAX_QUEUED_PER_TENANT }, (_, i) =>
      thread.strip(`let m${i}: number = ${i};`, 'mallory').then(() => order.push(`mallory ${i}`)),
    );
    await rejectsWith(thread.strip('let over = 1;', 'mallory'), 'TOO_MANY_REQUESTS');
    const other = thread.strip('let a: string = "";', 'acme').then((outcome) => (order.push('acme'), outcome));
    assert.deepEqual(await other, { code: 'let a         = "";' });
    await Promise.all(queued);
    assert.ok(order.indexOf('acme') <= 1, `acme waited for one of mallory's sources at most: ${order.join(', ')}`);
    assert.equal((await busy as { code?: string }).code, 'SYNTAX_ERROR');
  });

  it("reports swc's stack running out as a RuntimeError, and the next strip works", async () => {
    const thread = new StripThread();
    const deep = await thread.strip(`let x = ${'('.repeat(5000)}1${')'.repeat(5000)};`, 'acme');
    const thrown = (deep as { thrown: unknown }).thrown;
    assert.ok(thrown instanceof Error && thrown.name === 'RuntimeError', String(thrown));
    assert.deepEqual(await thread.strip('let y: string = "";', 'acme'), { code: 'let y         = "";' });
  });
});
