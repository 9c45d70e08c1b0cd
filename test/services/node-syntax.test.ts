// Deploy asks V8 (in a sandbox of its own, parse only) whether Node can load the module: syntax that
// type stripping accepts but Node cannot run (decorators, `using`, auto-accessors) and early errors
// are refused at their line and column, JavaScript syntax errors come in Node's words at Node's
// position, and nothing of the module ever runs on the host. Through FunctionService on a real
// SQLite store, plus the reading of V8's decorated stack (node-diagnostic.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import type { Runtime } from '../../src/core/types.js';
import { FunctionService } from '../../src/services/functions.js';
import { nodeErrorPosition } from '../../src/services/node-diagnostic.js';
import { MAX_QUEUED_PER_TENANT } from '../../src/services/node-parse.js';
import { deployRefused, testParser, withFunctionService } from './sandboxed-parser.js';

const refused = (svc: FunctionService, code: string, runtime: Runtime, expected: ErrorCode) => deployRefused(svc, code, expected, runtime);

const NODE = `Node ${process.versions.node.split('.')[0]}`;

describe('the deploy parser under a burst of deploys', () => {
  test("one tenant's burst waits in its own queue: another tenant's deploy is checked next, and a full queue is 429", async () => {
    const parse = testParser();
    const done: string[] = [];
    const module = (i: number) => `export default async () => ${i};`;
    // 2 checked at once, then MAX_QUEUED_PER_TENANT queued for tenant flood; one more is refused.
    const flood = Array.from({ length: 2 + MAX_QUEUED_PER_TENANT }, (_, i) => parse(module(i), 'flood').then(() => done.push(`flood-${i}`)));
    await assert.rejects(parse(module(99), 'flood'), (err: unknown) => isAirlockError(err) && err.code === 'TOO_MANY_REQUESTS' && err.details?.retryAfterSeconds === 1);
    const acme = parse(module(0), 'acme').then(() => done.push('acme'));
    await Promise.all([...flood, acme]);
    const at = done.indexOf('acme');
    assert.ok(at >= 0 && at <= 5, `acme's check went ahead of flood's queue (it ended ${at + 1} of ${done.length}: ${done.join(', ')})`);
    await parse.close();
  });
});

describe('the deploy parser on shutdown', () => {
  test('a closed parser refuses new modules with SHUTTING_DOWN, after the ones begun have ended', async () => {
    const parse = testParser();
    const begun = parse('export default async () => 1;', 'acme');
    const closing = parse.close();
    assert.equal(await begun, undefined, 'the module begun before close() was checked');
    await closing;
    await assert.rejects(parse('export default async () => 2;', 'acme'), (err: unknown) => isAirlockError(err) && err.code === 'SHUTTING_DOWN');
  });
});

describe('deploy refuses what Node cannot run, at its line and column', () => {
  const unsupported: [string, string, { line: number; column: number }, RegExp][] = [
    ['a method decorator', 'const a = 1;\nclass A {\n  @log run() {}\n}\nexport default () => new A();\n', { line: 3, column: 3 }, /^unsupported syntax at 3:3: decorators are not supported/],
    ['a class decorator', '@sealed\nclass A {}\nexport default () => new A();\n', { line: 1, column: 1 }, /decorators are not supported/],
    ['a `using` declaration', 'export default () => {\n  using res = open();\n  return 1;\n};\n', { line: 2, column: 9 }, /`using` declarations are not supported.*finally/],
    ['an `await using` declaration', 'export default async () => {\n  await using res = open();\n};\n', { line: 2, column: 15 }, /`using` declarations/],
    ['an auto-accessor', 'class A {\n  static accessor count = 1;\n}\nexport default () => A.count;\n', { line: 2, column: 19 }, /auto-accessors .* a private field with a getter and a setter/],
  ];
  for (const runtime of ['typescript', 'javascript'] as const) {
    for (const [what, code, position, message] of unsupported) {
      test(`${runtime}: ${what} is UNSUPPORTED_SYNTAX with its position and what to write instead`, () =>
        withFunctionService(async (svc) => {
          const err = await refused(svc, code, runtime, 'UNSUPPORTED_SYNTAX');
          assert.deepEqual(err.details, position);
          assert.match(err.message, new RegExp(`at ${position.line}:${position.column}: `));
          assert.match(err.message, message);
          assert.match(err.message, new RegExp(`${NODE} cannot run`));
        }));
    }
  }

  test('a TypeScript decorator is named as not erasable; a JavaScript one is not', () =>
    withFunctionService(async (svc) => {
      const code = 'class A {\n  @log run() {}\n}\nexport default () => 1;\n';
      const ts = await refused(svc, code, 'typescript', 'UNSUPPORTED_SYNTAX');
      assert.match(ts.message, /TypeScript's decorators are not erasable syntax/);
      assert.match(ts.message, /call the decorating function yourself/);
      const js = await refused(svc, code, 'javascript', 'UNSUPPORTED_SYNTAX');
      assert.doesNotMatch(js.message, /TypeScript/);
    }));

  const early: [string, string, Runtime, { line: number; column: number }, RegExp][] = [
    ['a redeclared const', 'const x = 1; const x = 2;\nexport default () => x;\n', 'javascript', { line: 1, column: 20 }, /Identifier 'x' has already been declared/],
    // Erased types become whitespace of the same UTF-16 length, so columns still match the source.
    ['a redeclared const after an erased type', 'const x: "日本" = 1; const x = 2;\nexport default () => x;\n', 'typescript', { line: 1, column: 26 }, /already been declared/],
    ['a redeclaration inside a function body', 'export default function () {\n  let y = 1;\n  var y = 2;\n}\n', 'typescript', { line: 3, column: 7 }, /Identifier 'y' has already been declared/],
    ['an export of nothing', 'export { nope };\nexport default () => 1;\n', 'typescript', { line: 1, column: 10 }, /Export 'nope' is not defined/],
    ['a break to no label', 'export default () => {\n\tfor (;;) break outer;\n};\n', 'javascript', { line: 2, column: 17 }, /Undefined label 'outer'/],
  ];
  for (const [what, code, runtime, position, message] of early) {
    test(`${runtime}: ${what} (an early error) is SYNTAX_ERROR at its position`, () =>
      withFunctionService(async (svc) => {
        const err = await refused(svc, code, runtime, 'SYNTAX_ERROR');
        assert.deepEqual(err.details, position);
        assert.match(err.message, new RegExp(`^syntax error at ${position.line}:${position.column}: `));
        assert.match(err.message, message);
      }));
  }

  test('javascript: a syntax error is reported in Node\'s words at Node\'s position, not at a context label', () =>
    withFunctionService(async (svc) => {
      const code = 'export default function (x) {\n  const y = 1;\n  if (x > {\n    return 2;\n}\n';
      const js = await refused(svc, code, 'javascript', 'SYNTAX_ERROR');
      assert.deepEqual(js.details, { line: 4, column: 12 });
      assert.equal(js.message, 'syntax error at 4:12: Unexpected number');
      // TypeScript keeps the stripper's words, at the error's caret rather than the label's.
      const ts = await refused(svc, code, 'typescript', 'SYNTAX_ERROR');
      assert.deepEqual(ts.details, { line: 4, column: 12 });
    }));

  test('a module cut short is reported at the end of the text', () =>
    withFunctionService(async (svc) => {
      for (const runtime of ['typescript', 'javascript'] as const) {
        const err = await refused(svc, 'export default async (', runtime, 'SYNTAX_ERROR');
        assert.deepEqual(err.details, { line: 1, column: 23 }, runtime);
        assert.match(err.message, /^syntax error at 1:23: Unexpected (eof|end of input)$/);
        const trailing = await refused(svc, 'export default async (\n\n', runtime, 'SYNTAX_ERROR');
        assert.deepEqual(trailing.details, { line: 3, column: 1 }, runtime);
      }
    }));

  test('past the column Node can point at, the line is still given and the message says so', () =>
    withFunctionService(async (svc) => {
      const code = `export default () => q;\nconst q = [${'1,'.repeat(600)}]; const q = 2;\n`;
      const err = await refused(svc, code, 'typescript', 'SYNTAX_ERROR');
      assert.deepEqual(err.details, { line: 2 });
      assert.match(err.message, /^syntax error at line 2: Identifier 'q' has already been declared \(.*no column.*split the line/);
    }));

  test('what Node can run deploys unchanged', () =>
    withFunctionService(async (svc) => {
      const code = 'const using = 1, accessor = 2;\nclass A { static #n = 0; static { A.#n = using + accessor; } }\nexport default async (x: { n: number }) => x?.n ?? A;\n';
      const { version } = await svc.deploy('acme', 'ok', { code });
      assert.equal(version.code.length, code.length);
    }));

  test('code nested too deeply for the type stripper is refused, and the next deploy still works', () =>
    withFunctionService(async (svc) => {
      const deep = `export default () => ${'['.repeat(2000)}${']'.repeat(2000)};\n`;
      for (const runtime of ['typescript', 'javascript'] as const) {
        const err = await refused(svc, deep, runtime, 'SYNTAX_ERROR');
        assert.match(err.message, /nests too deeply.*flatten the deepest nesting/);
        assert.doesNotMatch(err.message, /type stripper/, 'JavaScript is not type-stripped: the message names the parser');
        const { version } = await svc.deploy('acme', `after-${runtime}`, { code: 'export default (x: number) => x;', runtime: 'typescript' });
        assert.equal(version.code, 'export default (x        ) => x;');
        await svc.delete('acme', `after-${runtime}`);
      }
    }));

  test('nothing of the module runs on the host: top-level code with a visible effect is only parsed', () =>
    withFunctionService(async (svc) => {
      const dir = mkdtempSync(join(tmpdir(), 'airlock-parse-'));
      try {
        const marker = join(dir, 'ran');
        const effect = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nglobalThis.process?.exit?.(3);\n`;
        await svc.deploy('other', 'fx', { code: `${effect}export default () => 1;\n` });
        await refused(svc, `${effect}export default () => 1;\nconst z = 1; const z = 2;\n`, 'javascript', 'SYNTAX_ERROR');
        assert.equal(existsSync(marker), false, 'the module was evaluated');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  test('concurrent deploys each get their own verdict', () =>
    withFunctionService(async (svc) => {
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          svc.deploy('acme', `c${i}`, { code: i % 2 === 0 ? `export default () => ${i};` : `const a${i} = 1; let a${i};\nexport default () => 1;` }),
        ),
      );
      results.forEach((r, i) => {
        if (i % 2 === 0) assert.equal(r.status, 'fulfilled', String(i));
        else {
          assert.equal(r.status, 'rejected', String(i));
          const reason: unknown = (r as PromiseRejectedResult).reason;
          assert.ok(isAirlockError(reason));
          assert.deepEqual(reason.details, { line: 1, column: i < 10 ? 19 : 20 });
        }
      });
    }));
});

describe("reading V8's position from a decorated stack", () => {
  const stack = (line: number, text: string, underline: string | undefined) =>
    `function.js:${line}\n${text}\n${underline === undefined ? '' : `${underline}\n`}\nSyntaxError: x\n    at new Module (node:internal/vm/module:137:21)`;

  test('columns are UTF-16 units; tabs and wide characters count once', () => {
    const code = 'a;\n\tconst s = "日本語"; b = @;';
    assert.deepEqual(nodeErrorPosition(stack(2, '\tconst s = "日本語"; b = @;', `\t${' '.repeat(21)}^`), code), { line: 2, column: 23, offset: 25 });
  });

  test("V8's lines also end at \\r, U+2028 and U+2029; the editor's end at \\n only", () => {
    const code = 'a;\r\nb;\rc;\u2028d;\u2029e = @;';
    // V8's line 5 is `e = @;`; in the editor it is line 2, after `b;\rc;\u2028d;\u2029`.
    assert.deepEqual(nodeErrorPosition(stack(5, 'e = @;', '    ^'), code), { line: 2, column: 14, offset: 17 });
  });

  test('an empty span (the end of the input) is where the underline stops', () => {
    assert.deepEqual(nodeErrorPosition(stack(1, 'f(', '  '), 'f('), { line: 1, column: 3, offset: 2 });
  });

  test('no column when Node could not draw it: past its buffer, after a NUL, or no underline', () => {
    const long = `${'x'.repeat(1100)} @`;
    assert.deepEqual(nodeErrorPosition(stack(1, long, ' '.repeat(1020)), long), { line: 1, column: undefined, offset: undefined });
    const nul = 'a = "\0"; b = @;';
    assert.deepEqual(nodeErrorPosition(stack(1, 'a = "', '     ^'), nul), { line: 1, column: undefined, offset: undefined });
    assert.deepEqual(nodeErrorPosition(stack(1, 'x', undefined), 'x'), { line: 1, column: undefined, offset: undefined });
  });

  test('a stack without the arrow, or naming a line past the end, gives nothing', () => {
    assert.equal(nodeErrorPosition('SyntaxError: x\n    at new Module', 'x'), undefined);
    assert.equal(nodeErrorPosition(stack(9, 'x', '^'), 'x'), undefined);
  });
});
