// What tenant code sees of the harness, in a real bwrap sandbox: errors name modules by their
// file:///fn/<name> (never the data: URL they are imported from) and say how to fix an import
// that cannot resolve; logged errors' stacks carry no harness or Node-internal frames; a class
// exported as the handler is MissingHandler; default is called when both default and handler are exported; ctx has only its documented members (frozen, even
// after earlier tenant code replaced Object.freeze); a result converts as JSON.stringify does
// (README's table), a function or cycle in it refused; a `require` (none in an ES module) fails
// saying what to write instead; a bundle of CommonJS dependencies can get a `require` with the
// banner README documents, and one built without it fails saying to add that banner; and a
// result JSON cannot hold names the key path of the value and what to return instead; a run that reads ctx.fetch or
// ctx.checkpoint it was not granted (an invoke of a job function) says why and how to grant it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../../src/sandbox/port.js';
import { Tracker, request } from './support.js';

const LOAD_NOTE =
  "; thrown by the module's top-level code as it loaded, before the function was called, so every call of " +
  'this version fails the same way: fix it and deploy again, or move that code into the function';

describe('the harness as tenant code sees it (bwrap)', () => {
  let tracker: Tracker;
  let sb: Sandbox;
  before(async () => {
    tracker = new Tracker('bwrap');
    sb = await tracker.spawn();
  });
  after(() => tracker.cleanup());

  describe('a dynamic import that cannot resolve', () => {
    // Padding makes the module's data: URL long, as a real bundle's is (kilobytes of base64).
    const padding = `const padding = ${JSON.stringify('x'.repeat(20_000))};\n`;
    const BUNDLE = /only Node's built-in modules \(e\.g\. "node:crypto"\) can be imported in the sandbox; bundle the function and its dependencies into one ES module and deploy that file as a bundle, e\.g\. `npx esbuild fn\.ts --bundle --format=esm --platform=node --outfile=fn\.js --banner:js="import \{ createRequire \} from 'node:module'; const require = createRequire\('\/fn\/'\);"` then `airlock deploy fn\.js --bundle`/;
    for (const specifier of ['lodash', './other.js', '/fn/other.mjs', 'file:///fn/other.mjs']) {
      it(`names the module and says to bundle, for import('${specifier}') thrown and logged`, async () => {
        const code = `${padding}export default async (input, ctx) => {
          try { await import(input.specifier); } catch (err) { ctx.log.error('caught', err); console.error(err.message); }
          await import(input.specifier);
        };`;
        const outcome = await sb.run(request(code, { functionName: 'imp', input: { specifier } }));
        assert.equal(outcome.status, 'failed');
        const error = outcome.error!;
        const logs = outcome.logs.map((l) => l.msg);
        for (const text of [error.message, error.stack ?? '', ...logs]) {
          assert.doesNotMatch(text, /data:|base64/, text.slice(0, 300));
          assert.ok(text.length < 2_000, `short: ${text.length} characters`);
          assert.match(text, /file:\/\/\/fn\/imp\.[0-9a-f]{12}\.mjs/);
          assert.match(text, BUNDLE);
        }
        if (!specifier.includes('/fn/')) {
          assert.match(error.message, new RegExp(`^Cannot import "${specifier.replace('.', '\\.')}" from file:///fn/imp\\.[0-9a-f]{12}\\.mjs: only Node's`));
          assert.doesNotMatch(error.message, /caused by/, "Node's own cause (Invalid URL) is left out");
        }
        assert.equal(sb.alive, true);
      });
    }

    it("leaves a data: URL in the tenant's own text alone", async () => {
      const url = `data:text/javascript;base64,${Buffer.from('export default 1;').toString('base64')}`;
      const outcome = await sb.run(request(`export default async (input) => { console.log(input.url); throw new Error(input.url); };`, { input: { url } }));
      assert.equal(outcome.error?.message, url);
      assert.deepEqual(outcome.logs.map((l) => l.msg), [url]);
    });
  });

  it("logs an error's stack without the harness's or Node's frames, as a thrown one", async () => {
    const code = `function inner() { return new Error('logged'); }
    export default async (input, ctx) => {
      const err = inner();
      ctx.log.error('x', err);
      console.error(err);
      console.log(err.stack);
      console.log('  at the door');
      return 'ok';
    };`;
    const outcome = await sb.run(request(code, { functionName: 'logs' }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const logs = outcome.logs.map((l) => l.msg);
    assert.equal(logs.length, 4);
    for (const text of logs.slice(0, 3)) {
      assert.match(text, /Error: logged\n {4}at inner \(file:\/\/\/fn\/logs\.[0-9a-f]{12}\.mjs:1:/);
      assert.doesNotMatch(text, /airlock|harness|node:/);
    }
    assert.equal(logs[3], '  at the door', 'text that is not a stack frame is kept');
  });

  it("keeps the opening brace of a logged error's own properties when the frame that carried it is dropped", async () => {
    const code = `import { readFileSync } from 'node:fs';
    export default async () => {
      try { readFileSync('/no/such/file'); } catch (err) { console.error(err); }
      const coded = new Error('with a code'); coded.code = 'E_ONE'; console.error(coded);
      return 'ok';
    };`;
    const outcome = await sb.run(request(code, { functionName: 'props' }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const [fsError, coded] = outcome.logs.map((l) => l.msg);
    for (const text of [fsError!, coded!]) {
      assert.doesNotMatch(text, /node:|harness/, text);
      const opens = (text.match(/ \{$/gm) ?? []).length;
      const closes = (text.match(/^\}$/gm) ?? []).length;
      assert.deepEqual([opens, closes], [1, 1], `one block, opened and closed: ${text}`);
      assert.match(text, /at default \(file:\/\/\/fn\/props\.[0-9a-f]{12}\.mjs:\d+:\d+\) \{\n/, text);
    }
    assert.match(fsError!, /\n {2}code: 'ENOENT',?\n/);
    assert.match(coded!, /\n {2}code: 'E_ONE'\n\}$/);
  });

  it('describes an Error whose stack, name or message getter throws as the Error it is, each part on its own', async () => {
    const code = `export default async (input) => {
      const err = new Error('readable message');
      Object.defineProperty(err, input.part, { get() { throw new Error('trap'); } });
      throw err;
    };`;
    // (V8 writes a stack's first line from the name and message when it is first read: with a
    // throwing name or message getter, whether a stack comes is V8's business, so it is not checked then.)
    const expected: Record<string, { type: string; message: string; stack?: boolean }> = {
      stack: { type: 'Error', message: 'readable message', stack: false },
      name: { type: 'Error', message: 'readable message' },
      message: { type: 'Error', message: '[its message could not be read: reading it threw]' },
    };
    for (const [part, want] of Object.entries(expected)) {
      const outcome = await sb.run(request(code, { functionName: 'getters', input: { part } }));
      assert.equal(outcome.status, 'failed', part);
      assert.deepEqual([outcome.error?.type, outcome.error?.message], [want.type, want.message], part);
      if (want.stack !== undefined) assert.equal(outcome.error?.stack !== undefined, want.stack, `${part}: stack`);
    }
  });

  it('calls default when a module exports both default and handler (README, Functions)', async () => {
    const code = `export default async () => 'default';\nexport async function handler() { return 'handler'; }`;
    const outcome = await sb.run(request(code, { functionName: 'both' }));
    assert.deepEqual([outcome.status, outcome.result], ['succeeded', 'default']);
    const onlyHandler = await sb.run(request(`export async function handler() { return 'handler'; }`, { functionName: 'named' }));
    assert.deepEqual([onlyHandler.status, onlyHandler.result], ['succeeded', 'handler']);
  });

  describe('a handler that is not a function', () => {
    for (const [what, code, pattern] of [
      ['export default class Handler', 'export default class Handler { run() { return 1; } }', /; its default export is a class \(Handler\), not a function, and a class cannot be called without `new`: export a function that uses it instead, e\.g\. `export default async function \(input, ctx\) \{ return new Handler\(\)\.run\(input, ctx\); \}`$/],
      ['export class handler', 'export class handler {}', /; its handler export is a class \(handler\), not a function.*`export async function handler\(input, ctx\) \{ return new Handler\(\)\.run\(input, ctx\); \}`$/],
      ['export default class (anonymous)', 'export default class {}', /; its default export is a class \(Handler\), not a function.*return new Handler\(\)/],
      ['an object', 'export default { run() {} };', /; its default export is an object, not a function$/],
      ['null', 'export default null;', /; its default export is null, not a function$/],
      ['an array', 'export const handler = [];', /; its handler export is an array, not a function$/],
    ] as const) {
      it(`is MissingHandler: ${what}`, async () => {
        const outcome = await sb.run(request(code));
        assert.equal(outcome.status, 'failed');
        assert.equal(outcome.error?.type, 'MissingHandler', JSON.stringify(outcome.error));
        assert.match(outcome.error?.message ?? '', /^the function module must `export default async function \(input, ctx\)` or `export async function handler\(input, ctx\)`; /);
        assert.match(outcome.error?.message ?? '', pattern);
      });
    }

    it('keeps the TypeError of a handler that calls a class without new itself', async () => {
      const outcome = await sb.run(request('class A {}\nexport default async () => A();'));
      assert.equal(outcome.error?.type, 'TypeError');
      assert.match(outcome.error?.message ?? '', /Class constructor A cannot be invoked without 'new'/);
    });
  });

  describe('ctx', () => {
    const SURFACE = `const members = (ctx) => {
      const names = [];
      for (let o = ctx; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) names.push(...Reflect.ownKeys(o).map(String));
      return names.sort();
    };`;

    it('has only its documented members, and its signal cannot be switched off', async () => {
      const code = `${SURFACE}
      export default async (input, ctx) => {
        const proto = Object.getPrototypeOf(ctx);
        const attempts = [];
        for (const name of Object.getOwnPropertyNames(proto)) {
          const d = Object.getOwnPropertyDescriptor(proto, name);
          if (typeof d.value === 'function') try { d.value.call(ctx); attempts.push(name); } catch { attempts.push(name + ' threw'); }
        }
        try { Object.defineProperty(proto, 'signal', { get: () => AbortSignal.abort() }); } catch { attempts.push('redefine refused'); }
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return { members: members(ctx), constructorIsObject: ctx.constructor === Object, frozen: Object.isFrozen(ctx) && Object.isFrozen(proto),
          attempts, reason: ctx.signal.reason.name };
      };`;
      const outcome = await sb.run(request(code, { timeoutMs: 1_000 }));
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.deepEqual(outcome.result, {
        members: ['deadline', 'executionId', 'function', 'log', 'signal', 'tenant'],
        constructorIsObject: true,
        frozen: true,
        attempts: ['redefine refused'],
        reason: 'TimeoutError',
      });
    });

    const JOB_INFO = { id: 'qi_test', attempt: 2, maxAttempts: 5, idempotencyKey: 'k-1', source: { kind: 'api' as const }, createdAt: 1_700_000_000_000 };

    it('adds checkpoint and job on job runs', async () => {
      const code = `${SURFACE}\nexport default async (input, ctx) => ({ ctx: members(ctx), job: members(ctx.job), source: members(ctx.job.source) });`;
      const job = request(code, { checkpoint: { maxBytes: 1024, save: async () => Date.now() }, job: JOB_INFO });
      const outcome = await sb.run(job);
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.deepEqual(outcome.result, {
        ctx: ['checkpoint', 'deadline', 'executionId', 'function', 'job', 'log', 'signal', 'tenant'],
        job: ['attempt', 'createdAt', 'id', 'idempotencyKey', 'maxAttempts', 'source'],
        source: ['kind'],
      });
    });

    it('stays frozen after code of an earlier run replaced Object.freeze and Object.defineProperty', async () => {
      const code = `export default async (input, ctx) => {
        if (input?.tamper) {
          Object.freeze = (o) => o;
          Object.defineProperty = (o) => o;
          return 'tampered';
        }
        const isFrozen = Object.isFrozen;
        return { ctx: isFrozen(ctx), job: isFrozen(ctx.job), source: isFrozen(ctx.job.source), log: isFrozen(ctx.log),
          checkpoint: isFrozen(ctx.checkpoint), hasJob: 'job' in ctx, hasCheckpoint: 'checkpoint' in ctx };
      };`;
      const grants = { checkpoint: { maxBytes: 1024, save: async () => Date.now() }, job: JOB_INFO };
      const tampered = await sb.run(request(code, { ...grants, input: { tamper: true } }));
      assert.equal(tampered.result, 'tampered', JSON.stringify(tampered.error));
      const outcome = await sb.run(request(code, grants));
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.deepEqual(outcome.result, { ctx: true, job: true, source: true, log: true, checkpoint: true, hasJob: true, hasCheckpoint: true });
    });
  });

  it('converts a result as JSON.stringify does, as README tabulates, and refuses what JSON cannot hold', async () => {
    const code = `export default async () => ({
      d: new Date(0), m: new Map([[1, 2]]), set: new Set([1]), re: /re/, e: new Error('x'), nan: NaN, inf: -Infinity, neg0: -0,
      u8: new Uint8Array([1, 2]), buf: Buffer.from([1, 2]), u: undefined, arr: [undefined, NaN], [Symbol('k')]: 1,
      inst: new (class A { constructor() { this.a = 1; } m() {} })(),
    });`;
    const outcome = await sb.run(request(code));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, {
      d: '1970-01-01T00:00:00.000Z', m: {}, set: {}, re: {}, e: {}, nan: null, inf: null, neg0: 0,
      u8: { 0: 1, 1: 2 }, buf: { type: 'Buffer', data: [1, 2] }, arr: [null, null], inst: { a: 1 },
    });
    const bare = await sb.run(request('export default async () => NaN;'));
    assert.equal(bare.status, 'succeeded');
    assert.equal(bare.result, null);
    for (const value of ['[1, () => 2]', '{ f() {} }', '{ s: Symbol() }', '{ n: 1n }', '(() => { const a = {}; a.self = a; return a; })()']) {
      const refused = await sb.run(request(`export default async () => (${value});`));
      assert.equal(refused.status, 'failed', value);
      assert.equal(refused.error?.type, 'ResultNotSerializable', value);
    }
  });

  it('names the key path of a value JSON cannot hold in ResultNotSerializable, and what to return instead for that kind of value', async () => {
    // What to do instead depends on what the value is: the advice for a bigint is no help for a cycle.
    const BIGINT = '; return it as a string or a number instead (String(n), or Number(n) when it fits)';
    const FUNCTION = '; leave it out of the result, or return what it computes instead';
    const SYMBOL = '; leave it out of the result, or return its description (a string) instead';
    const CYCLE = '; return a copy without the reference back (plain objects nested as a tree, e.g. the ids of what it refers to)';
    const cases: [string, string, string][] = [
      ['({ items: [{ total: 1 }, {}, { total: 2 }, { id: 4, total: 10n }] })', 'result.items[3].total is a bigint', BIGINT],
      ['10n', 'result is a bigint', BIGINT],
      ["({ 'a b': { f() {} } })", 'result["a b"].f is a function', FUNCTION],
      ['[[1], [2, [3, Symbol()]]]', 'result[1][1][1] is a symbol', SYMBOL],
      // The path continues through what toJSON returns, and leaves finished siblings behind.
      ['({ done: { deep: [1, { x: 2 }] }, at: { toJSON: () => ({ fn: () => 1 }) } })', 'result.at.fn is a function', FUNCTION],
      ['(() => { const a = { list: [{}] }; a.list[0].up = a; return a; })()', 'result.list[0].up refers back to an object that contains it', CYCLE],
    ];
    for (const [value, says, advice] of cases) {
      const outcome = await sb.run(request(`export default async () => (${value});`));
      assert.equal(outcome.error?.type, 'ResultNotSerializable', value);
      assert.ok(
        outcome.error!.message.startsWith(`the function's result is not JSON-serializable: ${says}`),
        `${value}: ${outcome.error!.message}`,
      );
      assert.ok(outcome.error!.message.endsWith(advice), `${value}: ${outcome.error!.message}`);
    }
    const deep = await sb.run(request('export default async () => { let v = [1n]; for (let i = 0; i < 1000; i++) v = [v]; return { v }; };'));
    assert.match(deep.error!.message, /^the function's result is not JSON-serializable: result\.v(\[0\])+…(\[0\])+ is a bigint/);
    assert.ok(deep.error!.message.length < 500, 'a deep path is shortened in the middle');
  });

  for (const [where, code] of [
    ['at load', "const fs = require('node:fs');\nexport default async () => typeof fs;"],
    ['in a call', "export default async () => typeof require('node:fs');"],
  ] as const) {
    it(`says to import, or to make a require with createRequire('/fn/'), for a require ${where}`, async () => {
      const outcome = await sb.run(request(code));
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'ReferenceError');
      const loadNote = where === 'at load' ? LOAD_NOTE.replace(/[()]/g, '\\$&') : '';
      assert.match(outcome.error!.message, new RegExp(`^require is not defined\\b.*; a function is an ES module, which has no require: import Node's built-in modules instead \\(\`import fs from 'node:fs'\`\\), or make a require for them with \`import \\{ createRequire \\} from 'node:module'; const require = createRequire\\('\\/fn\\/'\\);\`${loadNote}$`));
    });
  }

  it("says an error thrown by the module's top-level code was thrown as it loaded, on every call", async () => {
    // The usual case: settings read at the top from an environment the sandbox does not have.
    const code = "const settings = JSON.parse(process.env.SETTINGS);\nexport default async () => settings;";
    for (let call = 1; call <= 2; call++) {
      const outcome = await sb.run(request(code));
      assert.equal(outcome.error?.type, 'SyntaxError', `call ${call}`);
      assert.equal(outcome.error!.message, `"undefined" is not valid JSON${LOAD_NOTE}`, `call ${call}`);
      assert.match(outcome.error!.stack ?? '', /^SyntaxError: "undefined" is not valid JSON\n.*\n? {4}at file:\/\/\/fn\/probe\.[0-9a-f]{12}\.mjs:1:23$/s);
    }
    const thrownInCall = await sb.run(request("export default async () => { throw new Error('in the call'); };"));
    assert.equal(thrownInCall.error!.message, 'in the call', 'an error of a call has no load note');
  });

  it("gives a bundle of CommonJS dependencies a require with createRequire('/fn/') (import.meta.url is not a file URL)", async () => {
    const code = `import { createRequire } from 'node:module';
    const require = createRequire('/fn/');
    export default async () => {
      let fromMetaUrl;
      try { createRequire(import.meta.url); fromMetaUrl = 'worked'; } catch (err) { fromMetaUrl = err.code; }
      return { hash: require('crypto').createHash('sha256').update('x').digest('hex').slice(0, 8), path: require('node:path').join('a', 'b'),
        metaUrl: import.meta.url.slice(0, 5), fromMetaUrl };
    };`;
    const outcome = await sb.run(request(code));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, { hash: '2d711642', path: 'a/b', metaUrl: 'data:', fromMetaUrl: 'ERR_INVALID_ARG_VALUE' });
  });

  it("says to add README's createRequire banner when an esbuild bundle has no require (Dynamic require of … is not supported)", async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const flag = `--banner:js="import { createRequire } from 'node:module'; const require = createRequire('/fn/');"`;
    assert.ok(readme.includes(flag), 'README documents the banner this error quotes');
    const bundle = async (banner?: string) => {
      const built = await build({
        stdin: { contents: "const os = require('node:os');\nexport default async () => typeof os.cpus;", loader: 'js' },
        bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent', ...(banner === undefined ? {} : { banner: { js: banner } }),
      });
      return built.outputFiles[0]!.text;
    };
    const without = await sb.run(request(await bundle()));
    assert.equal(without.status, 'failed');
    assert.equal(without.error?.type, 'Error');
    assert.ok(without.error!.message.startsWith('Dynamic require of "node:os" is not supported; '), without.error!.message);
    assert.ok(without.error!.message.endsWith(`: \`${flag}\`${LOAD_NOTE}`), without.error!.message); // its require runs at load
    const banner = /^--banner:js="(.*)"$/.exec(flag)![1]!;
    const withBanner = await sb.run(request(await bundle(banner)));
    assert.equal(withBanner.status, 'succeeded', JSON.stringify(withBanner.error));
    assert.equal(withBanner.result, 'function');
  });

  describe('a ctx member the run was not granted', () => {
    it('says a job function invoked directly has no ctx.checkpoint, and how to run it as a job', async () => {
      const code = `export default async (input, context) => {
        const state = context.checkpoint.get() ?? { i: 0 };
        return state;
      };`;
      const outcome = await sb.run(request(code));
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'TypeError');
      assert.equal(outcome.error!.message,
        "Cannot read properties of undefined (reading 'get'); this run is not a job, so its ctx has no checkpoint and no job: " +
        'they are there only when the function runs as a job (airlock jobs submit tenant-a/probe, a webhook delivery or a schedule), ' +
        'not in an invoke; a function meant for both checks first: `const state = ctx.checkpoint?.get()`');
      assert.match(outcome.error!.stack ?? '', /^TypeError: Cannot read properties of undefined \(reading 'get'\)\n {4}at default \(file:\/\/\/fn\/probe\.[0-9a-f]{12}\.mjs:2:42\)/);
    });

    it('says a function without an egress grant has no ctx.fetch, and how to grant one', async () => {
      const outcome = await sb.run(request("export default async (input, ctx) => (await ctx.fetch('https://api.example.com/')).status;"));
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, 'TypeError');
      assert.equal(outcome.error!.message,
        'ctx.fetch is not a function; this function has no egress grant, so its ctx has no fetch: deploy it with an egress policy ' +
        'naming the hosts it may reach (airlock deploy … --egress @policy.json, see docs/egress.md)');
    });

    it('leaves the same message alone in a module that never reads ctx.checkpoint or ctx.job', async () => {
      const outcome = await sb.run(request("export default async () => new Map().get('cache').get('key');"));
      assert.equal(outcome.error?.type, 'TypeError');
      assert.equal(outcome.error!.message, "Cannot read properties of undefined (reading 'get')");
    });
  });
});
