// Deploy-time checks of a module's imports and exports (services/module-shape.ts), through
// FunctionService on a real SQLite store: what could never run is refused with its position and
// nothing is stored, and an import meant for types only says to write `import type`; what can run (built-in imports, type-only imports, optional dynamic
// imports, every form of a handler export) deploys; a handler declared as a class is refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ErrorCode } from '../../src/core/errors.js';
import type { FunctionService } from '../../src/services/functions.js';
import { deployRefused, withFunctionService } from './sandboxed-parser.js';

const refused = (svc: FunctionService, code: string, expected: ErrorCode) => deployRefused(svc, code, expected);

describe('deploy refuses imports that cannot resolve in the sandbox', () => {
  test('a package import, at its line and column in the TypeScript source, with how to bundle', () =>
    withFunctionService(async (svc) => {
      const code = "type In = { n: number };\nimport { z } from 'zod';\nexport default (input: In) => z;\n";
      const err = await refused(svc, code, 'UNRESOLVABLE_IMPORT');
      assert.deepEqual(err.details, { line: 2, column: 20, specifier: 'zod' });
      assert.match(err.message, /^import "zod" at 2:20 cannot be resolved in the sandbox/);
      assert.match(err.message, /only Node's built-in modules/);
      assert.match(err.message, /--bundle --format=esm --platform=node/);
    }));

  test('relative, absolute and URL imports, and re-exports from them', () =>
    withFunctionService(async (svc) => {
      for (const [code, specifier] of [
        ["import helper from './helper.js';\nexport default helper;", './helper.js'],
        ["import x from '/srv/lib.mjs';\nexport default x;", '/srv/lib.mjs'],
        ["import x from 'https://example.com/lib.mjs';\nexport default x;", 'https://example.com/lib.mjs'],
        ["export * from '../shared.js';\nexport default () => 1;", '../shared.js'],
        ["export { parse } from 'yaml';\nexport default () => 1;", 'yaml'],
      ] as const) {
        const err = await refused(svc, code, 'UNRESOLVABLE_IMPORT');
        assert.equal(err.details?.specifier, specifier);
      }
    }));

  test('a relative import says to write `import type` if it imports only types, else to bundle', () =>
    withFunctionService(async (svc) => {
      // Order is an interface: stripping cannot know, so the import stays (and would fail to load).
      const code = "import { Order } from './helpers';\nexport default (input: Order) => input;\n";
      const err = await refused(svc, code, 'UNRESOLVABLE_IMPORT');
      assert.equal(
        err.message,
        'import "./helpers" at 1:24 cannot be resolved in the sandbox: a function is a single module and can import only ' +
          'Node\'s built-in modules (e.g. "node:crypto"); if it imports only types, write `import type { … } from "./helpers"` ' +
          '(erased at deploy); otherwise bundle the function and its dependencies into one ES module and deploy that file as a bundle, ' +
          'e.g. `npx esbuild fn.ts --bundle --format=esm --platform=node --outfile=fn.js ' +
          '--banner:js="import { createRequire } from \'node:module\'; const require = createRequire(\'/fn/\');"` ' +
          'then `airlock deploy fn.js --bundle` (see README, Functions)',
      );
      const pkg = await refused(svc, "import { z } from 'zod';\nexport default () => z;\n", 'UNRESOLVABLE_IMPORT');
      assert.doesNotMatch(pkg.message, /import type/, 'a package import is not told about types');
    }));

  test('an import whose names are all `type` says it still loads the module once types are erased, and to write `import type`', () =>
    withFunctionService(async (svc) => {
      for (const [code, keyword, specifier] of [
        ["import { type Order } from './helpers';\nexport default (input: Order) => input;\n", 'import', './helpers'],
        ["import { type A, type B } from 'some-types';\nexport default (input: A | B) => input;\n", 'import', 'some-types'],
        ["export { type Order } from '../shared';\nexport default () => 1;\n", 'export', '../shared'],
      ] as const) {
        const err = await refused(svc, code, 'UNRESOLVABLE_IMPORT');
        assert.equal(err.details?.specifier, specifier);
        assert.match(err.message, new RegExp(`this ${keyword} names nothing it could use \\(\`${keyword} \\{ type A \\} from …\` is left as \`${keyword} \\{\\} from …\``));
        assert.ok(err.message.endsWith(`to ${keyword} only types, write \`${keyword} type { … } from "${specifier}"\` (erased at deploy)`), err.message);
      }
      // What the advice says deploys.
      const { version } = await svc.deploy('acme', 'typed', { code: "import type { Order } from './helpers';\nexport default (input: Order) => input;\n" });
      assert.equal(version.name, 'typed');
    }));

  test("Airlock's types imported without `import type`: says to write `import type`", () =>
    withFunctionService(async (svc) => {
      for (const [code, specifier] of [
        ["import { Context } from './airlock.js';\nexport default async (input: unknown, ctx: Context) => ctx.tenant;", './airlock.js'],
        ["import { type Context } from 'airlock/types';\nexport default async (input: unknown, ctx: Context) => ctx.tenant;", 'airlock/types'],
        ["import { Context } from '../types/airlock.d.ts';\nexport default async (input: unknown, ctx: Context) => ctx.tenant;", '../types/airlock.d.ts'],
      ] as const) {
        const err = await refused(svc, code, 'UNRESOLVABLE_IMPORT');
        assert.equal(err.details?.specifier, specifier);
        assert.match(err.message, new RegExp(`names Airlock's types, which exist only for type-checking: write \`import type \\{ Context \\} from '${specifier.replace(/\./g, '\\.')}'\``));
      }
      const { version } = await svc.deploy('acme', 'typed', { code: "import type { Context } from './airlock.js';\nexport default async (input: unknown, ctx: Context) => ctx.tenant;" });
      assert.equal(version.name, 'typed');
    }));

  test('a node: module that does not exist names the Node version', () =>
    withFunctionService(async (svc) => {
      const err = await refused(svc, "import x from 'node:nope';\nexport default x;", 'UNRESOLVABLE_IMPORT');
      assert.match(err.message, new RegExp(`Node ${process.version.replace(/\./g, '\\.')} has no built-in module "node:nope"`));
    }));

  test('built-in modules (with or without node:), type-only and dynamic imports deploy', () =>
    withFunctionService(async (svc) => {
      const code = [
        "import { createHash } from 'node:crypto';",
        "import { readFile } from 'fs/promises';",
        "import type { Schema } from 'zod';",
        "import { type Options } from 'node:util';",
        'export default async (input: Schema) => {',
        "  const optional = await import('some-optional-package').catch(() => null);",
        "  return createHash('sha256').update(String(input)).digest('hex') + String(optional) + typeof readFile;",
        '};',
      ].join('\n');
      const { version } = await svc.deploy('acme', 'ok', { code });
      assert.equal(version.name, 'ok');
    }));
});

describe('deploy refuses a module without a handler export', () => {
  test('named exports only: says what it exports and how to write a handler', () =>
    withFunctionService(async (svc) => {
      const err = await refused(svc, 'export const foo = 1;\nexport function bar() {}\n', 'MISSING_HANDLER');
      assert.match(err.message, /it exports foo, bar/);
      assert.match(err.message, /export default async function \(input, ctx\)/);
      assert.match(err.message, /export async function handler\(input, ctx\)/);
    }));

  test('CommonJS and empty modules', () =>
    withFunctionService(async (svc) => {
      const cjs = await refused(svc, 'module.exports = async (input) => input;\n', 'MISSING_HANDLER');
      assert.match(cjs.message, /it exports nothing \(CommonJS `module\.exports` is not supported: a function is an ES module\)/);
      const empty = await refused(svc, '', 'MISSING_HANDLER');
      assert.match(empty.message, /it exports nothing;/);
    }));

  test('every form of handler export deploys', () =>
    withFunctionService(async (svc) => {
      const forms = [
        'export default async function (input) { return input; }',
        'export default (input) => input;',
        'export async function handler(input) { return input; }',
        'const run = (input) => input;\nexport { run as default };',
        'const run = (input) => input;\nexport { run as handler };',
      ];
      for (const [i, code] of forms.entries()) await svc.deploy('acme', `f${i}`, { code });
      assert.equal((await svc.list('acme')).length, forms.length);
    }));
});

describe('deploy refuses a handler declared as a class', () => {
  test('export default class and export class handler, at their line and column, with what to write instead', () =>
    withFunctionService(async (svc) => {
      const named = await refused(svc, "import { x } from 'node:fs';\nexport default class Handler { run() {} }\n", 'MISSING_HANDLER');
      assert.deepEqual(named.details, { line: 2, column: 1 });
      assert.equal(
        named.message,
        "the module's default export at 2:1 is a class (Handler), which cannot be called without `new`: export a function that uses it instead, " +
          'e.g. `export default async function (input, ctx) { return new Handler().run(input, ctx); }`',
      );
      const anonymous = await refused(svc, 'export default   class\n{}', 'MISSING_HANDLER');
      assert.match(anonymous.message, /default export at 1:1 is a class \(Handler\)/);
      const handler = await refused(svc, 'export const x = 1;\nexport class handler {}', 'MISSING_HANDLER');
      assert.match(handler.message, /^the module's handler export at 2:1 is a class \(handler\).*`export async function handler\(input, ctx\) \{ return new Handler\(\)\.run\(input, ctx\); \}`$/);
      // The sandbox calls default when there is one: a class there is refused even beside a handler function.
      await refused(svc, 'export default class A {}\nexport async function handler() {}', 'MISSING_HANDLER');
    }));

  test('classes elsewhere, and handlers that use them, deploy', () =>
    withFunctionService(async (svc) => {
      const forms = [
        'export class Client {}\nexport default async (input) => new Client();',
        'class Handler { run(i) { return i; } }\nexport default async (input) => new Handler().run(input);',
        'export default (class {});',
        'export async function handler() {}\nexport class Other {}',
      ];
      for (const [i, code] of forms.entries()) await svc.deploy('acme', `c${i}`, { code });
      assert.equal((await svc.list('acme')).length, forms.length);
    }));
});
