// console in a real bwrap sandbox behaves as Node's own where a function's author can tell:
// console.group indents (2 spaces a level, every line of a multi-line entry) as a Console of
// the test process does for the same calls, and a run starts unindented whatever the run before
// it left open; console.dir takes util.inspect's options; console.trace writes "Trace: …" and the
// stack of its caller, the function's own frames only.
import assert from 'node:assert/strict';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../../src/sandbox/port.js';
import { Tracker, request } from './support.js';

/** What Node's own console writes for `body` (run with `console` bound to a fresh Console), one entry per write. */
function nodeConsoleWrites(body: string): string[] {
  const writes: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString('utf8').replace(/\n$/, ''));
      done();
    },
  });
  const local = new Console({ stdout: sink, stderr: sink, colorMode: false });
  new Function('console', body)(local);
  return writes;
}

describe('console as Node has it (bwrap)', () => {
  let tracker: Tracker;
  let sb: Sandbox;
  before(async () => {
    tracker = new Tracker('bwrap');
    sb = await tracker.spawn();
  });
  after(() => tracker.cleanup());

  it('indents within console.group as Node does, and starts each run unindented', async () => {
    const body = `
      console.log('top');
      console.group('Group %s', 'A');
      console.log('one\\ntwo');
      console.groupCollapsed();
      console.warn('deep');
      console.error({ a: 1, b: [1, 2] });
      console.table([{ n: 1 }]);
      console.groupEnd();
      console.info('back');
      console.groupEnd();
      console.groupEnd();
      console.debug('out');
      console.group('left open');
      console.log('inside');`;
    const first = await sb.run(request(`export default async () => { ${body} };`));
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    const expected = nodeConsoleWrites(body);
    assert.equal(expected[3], '    deep', "Node's own console indents");
    assert.deepEqual(first.logs.map((l) => l.msg), expected);
    assert.deepEqual(first.logs.map((l) => l.level), ['info', 'info', 'info', 'warn', 'error', 'info', 'info', 'debug', 'info', 'info']);
    const next = await sb.run(request(`export default async (input, ctx) => { console.log('fresh'); ctx.log.info('ctx'); };`));
    assert.deepEqual(next.logs.map((l) => l.msg), ['fresh', 'ctx'], 'a group a run left open ends with it');
  });

  it("passes console.dir's options to util.inspect, and ignores custom inspect unless asked, as Node does", async () => {
    const body = `
      const obj = { a: { b: { c: { d: 1 } } }, list: [1, 2, 3, 4] };
      console.dir(obj, { depth: 0 });
      console.dir(obj, { depth: null, breakLength: Infinity });
      console.dir(obj.list, { maxArrayLength: 2 });
      const custom = { [Symbol.for('nodejs.util.inspect.custom')]: () => 'CUSTOM', x: 1 };
      console.dir(custom);
      console.dir(custom, { customInspect: true });
      console.dir('text');`;
    const outcome = await sb.run(request(`export default async () => { ${body} };`));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const expected = nodeConsoleWrites(body);
    assert.equal(expected[0], '{ a: [Object], list: [Array] }');
    assert.deepEqual(outcome.logs.map((l) => l.msg), expected);
  });

  it('writes console.trace as "Trace: <message>" and the stack of its caller, the function\'s frames only', async () => {
    const code = `function where() { console.trace('at %s', 'step', 2); }
    export default async () => { where(); console.trace(); console.group('g'); console.trace('nested'); };`;
    const outcome = await sb.run(request(code, { functionName: 'tracer' }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const [first, bare, , nested] = outcome.logs;
    const frame = String.raw`file:///fn/tracer\.[0-9a-f]{12}\.mjs:\d+:\d+`;
    assert.match(first!.msg, new RegExp(String.raw`^Trace: at step 2\n {4}at where \(${frame}\)\n {4}at default \(${frame}\)$`));
    assert.equal(first!.level, 'debug');
    assert.match(bare!.msg, new RegExp(String.raw`^Trace\n {4}at default \(${frame}\)$`));
    assert.match(nested!.msg, new RegExp(String.raw`^  Trace: nested\n {6}at default \(${frame}\)$`));
    for (const line of outcome.logs) assert.doesNotMatch(line.msg, /node:|harness|airlock/);
  });
});
