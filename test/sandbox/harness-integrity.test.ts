// What tenant code cannot do to the harness, or get from it, in a real bwrap sandbox: built-ins
// the tenant replaces (JSON, Buffer, Date.now, String, node:util's format and inspect, …) are not
// the ones the harness uses, since it captured its own when it booted; and the harness adds no
// global to the ones Node defines and exports nothing from its module (the harness is a bundle
// of many modules: none of them, nor a module registry, may be reachable).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_HARNESS_PATH } from '../../src/sandbox/bwrap/args.js';
import { Tracker, request } from './support.js';

/** The globals of a plain Node script run by the same node binary, sorted. */
function plainNodeGlobals(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-globals-'));
  try {
    const script = join(dir, 'globals.cjs');
    writeFileSync(script, 'process.stdout.write(JSON.stringify(Reflect.ownKeys(globalThis).map(String).sort()));');
    return JSON.parse(execFileSync(process.execPath, [script], { env: {} }).toString('utf8')) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the harness against tenant code (bwrap)', () => {
  let tracker: Tracker;
  before(() => {
    tracker = new Tracker('bwrap');
  });
  after(() => tracker.cleanup());

  it('keeps working with the built-ins it captured at boot after the tenant replaces them', async () => {
    const sb = await tracker.spawn();
    const patch = `import util from 'node:util';
    export default async () => {
      JSON.stringify = () => '"forged"';
      JSON.parse = () => ({ t: 'forged' });
      Buffer.from = () => { throw new Error('forged Buffer.from'); };
      Buffer.byteLength = () => 0;
      Buffer.concat = () => Buffer.alloc(0);
      Date.now = () => 0;
      globalThis.String = () => 'forged';
      Reflect.apply = () => 'forged';
      Function.prototype.toString = () => 'forged';
      util.format = () => 'forged format';
      util.inspect = () => 'forged inspect';
      console.log('logged %s', 'after', { n: 1 });
      return { result: [1, 'two'] };
    };`;
    const patched = await sb.run(request(patch, { functionName: 'patch' }));
    assert.equal(patched.status, 'succeeded', JSON.stringify(patched.error));
    assert.deepEqual(patched.result, { result: [1, 'two'] });
    assert.deepEqual(patched.logs.map((l) => l.msg), ['logged after { n: 1 }']);

    // The same sandbox, its built-ins still replaced: errors, classes and logs are described as ever.
    const thrown = await sb.run(request(`export default async (input, ctx) => { ctx.log.info('next', { n: 2 }); throw { not: 'an error' }; };`));
    assert.equal(thrown.status, 'failed');
    assert.deepEqual(thrown.error, { type: 'NonErrorThrown', message: "the function threw a non-Error value: { not: 'an error' }" });
    assert.deepEqual(thrown.logs.map((l) => l.msg), ['next { n: 2 }']);
    const cls = await sb.run(request('export default class Job {}'));
    assert.equal(cls.error?.type, 'MissingHandler');
    assert.match(cls.error?.message ?? '', /its default export is a class \(Job\)/);
    assert.equal(sb.alive, true);
  });

  it("adds no global to Node's and exports nothing from its module", async () => {
    const sb = await tracker.spawn();
    const code = `import { createRequire } from 'node:module';
    export default async () => {
      const harness = createRequire('/fn/').cache[${JSON.stringify(SANDBOX_HARNESS_PATH)}];
      return {
        globals: Reflect.ownKeys(globalThis).map(String).sort(),
        exports: harness === undefined ? 'not cached' : Reflect.ownKeys(harness.exports).map(String),
      };
    };`;
    const outcome = await sb.run(request(code));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const { globals, exports } = outcome.result as { globals: string[]; exports: unknown };
    assert.deepEqual(globals, plainNodeGlobals());
    assert.deepEqual(exports, []);
  });
});
