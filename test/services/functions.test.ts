// FunctionService against a real SQLite store: names, sizes, stripping and its error positions,
// limits, content-hash versions, get/list/delete semantics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { FunctionService } from '../../src/services/functions.js';
import { rejectsWith } from '../support/rejects.js';
import { parseStripError } from '../../src/services/strip-diagnostic.js';
import { canonicalJson } from '../../src/services/version-hash.js';
import { SERVICE_CONFIG, withFunctionService } from './sandboxed-parser.js';

const TS = 'export default async function (input: { n: number }): Promise<number> {\n  return input.n * 2;\n}\n';

async function importCode(code: string): Promise<{ default: (input: unknown) => unknown }> {
  return import(`data:text/javascript,${encodeURIComponent(code)}`) as Promise<{ default: (input: unknown) => unknown }>;
}

describe('FunctionService.deploy', () => {
  test('TypeScript by default: stripped code runs, defaults applied, 64-hex version', () =>
    withFunctionService(async (svc) => {
      const { version: v, created } = await svc.deploy('acme', 'double', { code: TS });
      assert.equal(created, true);
      assert.match(v.version, /^[0-9a-f]{64}$/);
      assert.equal(v.runtime, 'typescript');
      assert.equal(v.isolation, 'tenant');
      assert.deepEqual(v.limits, DEFAULT_LIMITS);
      assert.equal(v.source, TS);
      assert.equal(v.code.length, TS.length, 'types become whitespace: positions are kept');
      assert.equal(await (await importCode(v.code)).default({ n: 21 }), 42);
      assert.deepEqual(await svc.get('acme', 'double'), v);
    }));

  test('the same deploy twice is the same version, created=false, first createdAt kept', () =>
    withFunctionService(async (svc, clock) => {
      const first = await svc.deploy('acme', 'f', { code: TS, limits: { timeoutMs: 500 } });
      clock.now = 2_000;
      const again = await svc.deploy('acme', 'f', { code: TS, limits: { timeoutMs: 500 } });
      assert.equal(again.created, false);
      assert.deepEqual(again.version, first.version);
      assert.equal(again.version.createdAt, 1_000);
    }));

  test('the version changes with source, limits, isolation and runtime, not with key order', () =>
    withFunctionService(async (svc) => {
      const js = 'export default (x) => x;\n';
      const base = (await svc.deploy('acme', 'f', { code: js })).version.version;
      const others = [
        (await svc.deploy('acme', 'f', { code: js + '\n' })).version.version,
        (await svc.deploy('acme', 'f', { code: js, limits: { timeoutMs: 500 } })).version.version,
        (await svc.deploy('acme', 'f', { code: js, isolation: 'function' })).version.version,
        (await svc.deploy('acme', 'f', { code: js, runtime: 'javascript' })).version.version,
      ];
      assert.equal(new Set([base, ...others]).size, 5);
      const a = await svc.deploy('acme', 'g', { code: js, limits: { timeoutMs: 500, memoryMiB: 64 } });
      const b = await svc.deploy('acme', 'g', { code: js, limits: { memoryMiB: 64, timeoutMs: 500 } });
      assert.equal(b.created, false);
      assert.equal(a.version.version, b.version.version);
      // Same content under another name or tenant: same hash, separate function.
      assert.equal((await svc.deploy('other', 'f', { code: js })).version.version, base);
    }));

  test('redeploying an older version makes it the latest again', () =>
    withFunctionService(async (svc) => {
      const v1 = (await svc.deploy('acme', 'f', { code: 'export default () => 1' })).version;
      await svc.deploy('acme', 'f', { code: 'export default () => 2' });
      const back = await svc.deploy('acme', 'f', { code: 'export default () => 1' });
      assert.equal(back.created, false);
      assert.equal((await svc.get('acme', 'f')).version, v1.version);
    }));

  test('runtime javascript: plain JavaScript is loaded as is', () =>
    withFunctionService(async (svc) => {
      const code = 'export async function handler(input) {\n  return { got: input };\n}\n';
      const { version } = await svc.deploy('acme', 'js', { code, runtime: 'javascript' });
      assert.equal(version.runtime, 'javascript');
      assert.equal(version.code, code);
    }));

  test('runtime javascript: TypeScript syntax is refused with its position', () =>
    withFunctionService(async (svc) => {
      const err = await rejectsWith(
        svc.deploy('acme', 'js', { code: 'const a = 1;\nexport default (x: number) => x', runtime: 'javascript' }),
        'SYNTAX_ERROR',
      );
      assert.deepEqual(err.details, { line: 2, column: 18 });
      assert.match(err.message, /2:18/);
      assert.match(err.message, /runtime "typescript" \(the API's default; with the CLI, `--runtime typescript` or a \.ts file\)/);
    }));

  test('a syntax error is SYNTAX_ERROR 400 with line and column', () =>
    withFunctionService(async (svc) => {
      const err = await rejectsWith(
        svc.deploy('acme', 'bad', { code: 'const a = 1;\nconst b = ;\nexport default () => b' }),
        'SYNTAX_ERROR',
      );
      assert.equal(err.status, 400);
      assert.deepEqual(err.details, { line: 2, column: 11 });
      assert.match(err.message, /2:11/);
      assert.match(err.message, /Expression expected/);
    }));

  test('a syntax error in plain JavaScript is caught too', () =>
    withFunctionService(async (svc) => {
      const err = await rejectsWith(
        svc.deploy('acme', 'bad', { code: 'export default function (x {\n}', runtime: 'javascript' }),
        'SYNTAX_ERROR',
      );
      assert.deepEqual(err.details, { line: 1, column: 28 });
    }));

  const unsupported: [string, string, { line: number; column: number }, RegExp][] = [
    ['enum', 'const x = 1;\n\nexport enum Color { Red }\n', { line: 3, column: 8 }, /const object/],
    ['namespace', 'namespace N { export const x = 1 }', { line: 1, column: 1 }, /top-level declarations/],
    // At the modifier that must go, not at the name the parser marks.
    [
      'parameter property',
      'export default class A {\n  constructor(private x: number) {}\n}',
      { line: 2, column: 15 },
      /declare the field in the class body/,
    ],
    [
      'parameter property with two modifiers',
      'export default class A {\n  constructor(a: number, public readonly y: string) {}\n}',
      { line: 2, column: 26 },
      /declare the field in the class body/,
    ],
    ['import equals', 'import fs = require("fs");', { line: 1, column: 1 }, /ES import/],
    ['export assignment', 'const a = 1;\nexport = a;', { line: 2, column: 1 }, /export default/],
    ['angle-bracket assertion', 'const y = 1;\nconst x = <number>y;', { line: 2, column: 11 }, /expr as T/],
  ];
  for (const [what, code, position, hint] of unsupported) {
    test(`${what} is UNSUPPORTED_SYNTAX with its position and how to rewrite it`, () =>
      withFunctionService(async (svc) => {
        const err = await rejectsWith(svc.deploy('acme', 'f', { code }), 'UNSUPPORTED_SYNTAX');
        assert.equal(err.status, 400);
        assert.deepEqual(err.details, position);
        assert.match(err.message, new RegExp(`${position.line}:${position.column}`));
        assert.match(err.message, hint);
      }));
  }

  test('source size is measured in UTF-8 bytes against maxSourceBytes', () =>
    withFunctionService(
      async (svc) => {
        const atLimit = `export default 1;//${'x'.repeat(81)}`;
        assert.equal((await svc.deploy('acme', 'f', { code: atLimit })).created, true);
        const err = await rejectsWith(svc.deploy('acme', 'f', { code: `${atLimit}x` }), 'SOURCE_TOO_LARGE');
        assert.equal(err.status, 413);
        assert.deepEqual(err.details, { limit: 100, size: 101 });
        assert.match(err.message, /AIRLOCK_MAX_SOURCE_BYTES/);
        // 40 characters, 122 bytes.
        await rejectsWith(svc.deploy('acme', 'f', { code: `//${'日'.repeat(40)}` }), 'SOURCE_TOO_LARGE');
      },
      { ...SERVICE_CONFIG, maxSourceBytes: 100 },
    ));

  test('a bundle is measured against maxBundleBytes, anything else against maxSourceBytes', () =>
    withFunctionService(
      async (svc) => {
        const atLimit = `export default 2;//${'x'.repeat(181)}`;
        assert.equal(Buffer.byteLength(atLimit), 200);
        const plain = await rejectsWith(svc.deploy('acme', 'b', { code: atLimit }), 'SOURCE_TOO_LARGE');
        assert.deepEqual(plain.details, { limit: 100, size: 200 });
        assert.match(plain.message, /if this is a bundle .*deploy it as one: "bundle": true \(airlock deploy --bundle\), up to 200 bytes \(AIRLOCK_MAX_BUNDLE_BYTES\)/);
        assert.equal((await svc.deploy('acme', 'b', { code: atLimit, bundle: true })).created, true);
        const over = await rejectsWith(svc.deploy('acme', 'b', { code: `${atLimit}x`, bundle: true }), 'SOURCE_TOO_LARGE');
        assert.deepEqual(over.details, { limit: 200, size: 201 });
        assert.match(over.message, /^the bundle is 201 bytes \(UTF-8\), above the limit for a bundle of 200 bytes \(AIRLOCK_MAX_BUNDLE_BYTES\)/);
        assert.doesNotMatch(over.message, /AIRLOCK_MAX_SOURCE_BYTES/);
        const invalid = await rejectsWith(svc.deploy('acme', 'b', { code: atLimit, bundle: 'yes' } as never), 'VALIDATION_FAILED');
        assert.deepEqual(invalid.details, { field: 'bundle' });
        assert.match(invalid.message, /^bundle must be true or false/);
      },
      { ...SERVICE_CONFIG, maxSourceBytes: 100, maxBundleBytes: 200 },
    ));

  test('names: the rule is enforced and stated', () =>
    withFunctionService(async (svc) => {
      for (const [tenant, name] of [
        ['Acme', 'f'],
        ['acme', '-f'],
        ['acme', 'a'.repeat(64)],
        ['acme', 'with space'],
        ['', 'f'],
        ['acme', 'f/../g'],
      ] as const) {
        const err = await rejectsWith(svc.deploy(tenant, name, { code: TS }), 'VALIDATION_FAILED');
        assert.match(err.message, /lowercase letters, digits, '-' and '_'.*at most 63/);
      }
      assert.equal((await svc.deploy('a_b-1', 'z'.repeat(63), { code: TS })).created, true);
    }));

  test('limits: partial overrides merge with defaults; above maximum, unknown, non-integer refused', () =>
    withFunctionService(async (svc) => {
      const { version } = await svc.deploy('acme', 'f', { code: TS, limits: { memoryMiB: 256 } });
      assert.deepEqual(version.limits, { ...DEFAULT_LIMITS, memoryMiB: 256 });
      await rejectsWith(svc.deploy('acme', 'f', { code: TS, limits: { timeoutMs: 61_000 } }), 'LIMIT_ABOVE_MAXIMUM');
      await rejectsWith(svc.deploy('acme', 'f', { code: TS, limits: { timeoutMs: 1 } }), 'VALIDATION_FAILED');
      const unknown = { code: TS, limits: { cpu: 2 } } as unknown as Parameters<FunctionService['deploy']>[2];
      assert.match((await rejectsWith(svc.deploy('acme', 'f', unknown), 'VALIDATION_FAILED')).message, /timeoutMs/);
      await rejectsWith(svc.deploy('acme', 'f', { code: TS, limits: { timeoutMs: 1.5 } }), 'VALIDATION_FAILED');
    }));

  test('malformed bodies from untyped callers are refused', () =>
    withFunctionService(async (svc) => {
      for (const body of [null, {}, { code: 1 }, { code: TS, runtime: 'python' }, { code: TS, isolation: 'none' }]) {
        await rejectsWith(svc.deploy('acme', 'f', body as never), 'VALIDATION_FAILED');
      }
    }));
});

describe('FunctionService get, list, delete', () => {
  test('get: a named version, FUNCTION_NOT_FOUND and VERSION_NOT_FOUND', () =>
    withFunctionService(async (svc) => {
      const v1 = (await svc.deploy('acme', 'f', { code: 'export default () => 1' })).version;
      const v2 = (await svc.deploy('acme', 'f', { code: 'export default () => 2' })).version;
      assert.equal((await svc.get('acme', 'f')).version, v2.version);
      assert.deepEqual(await svc.get('acme', 'f', v1.version), v1);
      const missing = await rejectsWith(svc.get('acme', 'nope'), 'FUNCTION_NOT_FOUND');
      assert.match(missing.message, /`airlock deploy <file> --tenant acme --name nope` \(PUT \/v1\/tenants\/acme\/functions\/nope\)/);
      assert.equal(missing.status, 404);
      assert.match(missing.message, /PUT \/v1\/tenants\/acme\/functions\/nope/);
      const noVersion = await rejectsWith(svc.get('acme', 'f', 'abc'), 'VERSION_NOT_FOUND');
      assert.match(noVersion.message, new RegExp(v2.version));
      assert.match(noVersion.message, /list them with `airlock functions acme\/f --versions` \(GET \/v1\/tenants\/acme\/functions\/f\/versions\)$/);
      assert.equal(noVersion.details?.latestVersion, v2.version);
      await rejectsWith(svc.get('acme', 'nope', 'abc'), 'FUNCTION_NOT_FOUND');
      await rejectsWith(svc.get('other', 'f'), 'FUNCTION_NOT_FOUND');
    }));

  test('list is per tenant', () =>
    withFunctionService(async (svc) => {
      await svc.deploy('acme', 'b', { code: TS });
      await svc.deploy('acme', 'a', { code: TS, runtime: 'typescript' });
      await svc.deploy('other', 'c', { code: TS });
      assert.deepEqual(
        (await svc.list('acme')).map((f) => f.name),
        ['a', 'b'],
      );
    }));

  test('delete: then not found; deleting again is FUNCTION_NOT_FOUND; redeploy creates it anew', () =>
    withFunctionService(async (svc) => {
      const first = await svc.deploy('acme', 'f', { code: TS });
      await svc.delete('acme', 'f');
      await rejectsWith(svc.get('acme', 'f'), 'FUNCTION_NOT_FOUND');
      await rejectsWith(svc.get('acme', 'f', first.version.version), 'FUNCTION_NOT_FOUND');
      await rejectsWith(svc.delete('acme', 'f'), 'FUNCTION_NOT_FOUND');
      assert.deepEqual(await svc.list('acme'), []);
      const again = await svc.deploy('acme', 'f', { code: TS });
      assert.equal(again.created, true);
      assert.equal(again.version.version, first.version.version);
    }));
});

describe('strip error parsing', () => {
  test('reads the caret position, mapping tabs and wide characters back to JS columns', () => {
    const cases: [string, string, number, number][] = [
      // source, report line as amaro draws it, caret cell, expected column
      ['\t\tconst b = ;', '        const b = ;', 18, 13],
      ['const s = "日本語";\tconst b = ;', 'const s = "日本語"; const b = ;', 30, 28],
      ['x = "😀";\tc = ;', 'x = "😀";   c = ;', 16, 15],
      ['x = "e\u0301";\tc = ;', 'x = "é";    c = ;', 16, 15],
    ];
    for (const [source, drawn, caret, column] of cases) {
      const report = `  x Expression expected\n   ,----\n 1 | ${drawn}\n   : ${' '.repeat(caret)}^\n   \`----\n\n\nCaused by:\n    failed to parse`;
      assert.deepEqual(parseStripError(report, source), {
        message: 'Expression expected',
        unsupported: false,
        line: 1,
        column,
      });
    }
  });

  test('multi-line spans, header-only reports, Error objects and garbage never throw', () => {
    const multi =
      '  x TypeScript enum is not supported in strip-only mode\n   ,-[2:1]\n 1 |     const q = 1;\n 2 | ,-> export enum A {\n 3 | |     B\n 4 | `-> }\n   `----\n';
    assert.deepEqual(parseStripError(multi, 'const q = 1;\n  export enum A {\n  B\n}'), {
      message: 'TypeScript enum is not supported in strip-only mode',
      unsupported: true,
      line: 2,
      column: 3,
    });
    assert.deepEqual(parseStripError(new Error('  x Oops\n   ,-[7:1]\n'), ''), {
      message: 'Oops',
      unsupported: false,
      line: 7,
      column: 1,
    });
    assert.deepEqual(parseStripError(42, 'x'), { message: '42', unsupported: false, line: 1, column: 1 });
  });

  test('of several underlined spans, the unlabelled one (the error) wins over a labelled one (context)', () => {
    // amaro's report for line 4 being `    return 2;` after `  if (x > {` on line 3.
    const source = 'export default function (x) {\n  const y = 1;\n  if (x > {\n    return 2;\n}\n';
    const report =
      '  x Unexpected token `numeric literal (2, 2)`. Expected ... , *,  (, [, :, , ?, =, an identifier\n' +
      '   ,-[3:1]\n 1 | export default function (x) {\n 2 |   const y = 1;\n 3 |   if (x > {\n' +
      '   :   ^|\n   :    `-- Tried to parse the condition for an if statement\n' +
      ' 4 |     return 2;\n   :            ^\n 5 | }\n   `----\n\n\nCaused by:\n    failed to parse';
    assert.deepEqual(parseStripError(report, source), {
      message: 'Unexpected token `numeric literal (2, 2)`. Expected ... , *,  (, [, :, , ?, =, an identifier',
      unsupported: false,
      line: 4,
      column: 12,
    });
    // Both spans on one caret line: `^|` is the label's, the lone `^` the error's.
    const sameLine = '  x Expression expected\n   ,----\n 1 | if (x > y y\n   : ^|        ^\n   :  `-- Tried to parse the condition for an if statement\n   `----\n';
    assert.deepEqual(parseStripError(sameLine, 'if (x > y y'), { message: 'Expression expected', unsupported: false, line: 1, column: 11 });
    // Only a labelled span: it is still the best position there is.
    const labelledOnly = '  x Expected a semicolon\n   ,-[2:1]\n 1 | x = "abc\n 2 | foo"\n   : ^|^^\n   :  `-- This is the expression part\n   `----\n';
    assert.deepEqual(parseStripError(labelledOnly, 'x = "abc\nfoo"'), { message: 'Expected a semicolon', unsupported: false, line: 2, column: 1 });
  });

  test('an "Unexpected eof" without a caret is at the end of the source, not at 1:1 or the header', () => {
    const atEnd = '  x Unexpected eof\n   ,----\n 1 | export default async (\n   `----\n\n\nCaused by:\n    failed to parse';
    assert.deepEqual(parseStripError(atEnd, 'export default async ('), { message: 'Unexpected eof', unsupported: false, line: 1, column: 23 });
    const header = '  x Unexpected eof\n   ,-[2:2]\n 1 | export default async (\n 2 | \n   `----\n';
    assert.deepEqual(parseStripError(header, 'export default async (\n\n'), { message: 'Unexpected eof', unsupported: false, line: 3, column: 1 });
  });

  test('canonical JSON sorts keys at every level', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }], e: undefined }), '{"a":[{"c":2,"d":1}],"b":1}');
  });
});
