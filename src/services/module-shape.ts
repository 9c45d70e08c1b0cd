// What can be known about a function module at deploy without running it, checked on the
// JavaScript after type stripping (whose offsets are the source's): every static import resolves
// inside the sandbox, which only Node's built-in modules do (a function is one module, its
// dependencies bundled in), and the module exports a handler (`default` or `handler`) that is not
// a class declaration (`export default class …` cannot be called). Anything else would deploy fine
// and then fail every call. Whether any other export is a function is only known at run time; the
// sandbox reports that (MissingHandler). An import the author may have meant for types only
// (a relative one, or one that imports no names: what `import { type A } from './a'` is once its
// types are erased, as Node's own type stripping keeps it) says to write `import type` instead.
import { isBuiltin } from 'node:module';
import { init, parse } from 'es-module-lexer';
import type { Export, Import } from 'es-module-lexer';
import { AirlockError } from '../core/errors.js';
import { positionOf } from './source-position.js';

const HANDLER_EXPORTS: ReadonlySet<string> = new Set(['default', 'handler']);

/**
 * The README's bundling recipe, whole: the banner gives bundled CommonJS code a `require` for
 * built-in modules (without it most packages fail at load), and `--bundle` the 5 MiB limit.
 */
const BUNDLE_HINT =
  'bundle the function and its dependencies into one ES module and deploy that file as a bundle, e.g. ' +
  '`npx esbuild fn.ts --bundle --format=esm --platform=node --outfile=fn.js ' +
  '--banner:js="import { createRequire } from \'node:module\'; const require = createRequire(\'/fn/\');"` ' +
  'then `airlock deploy fn.js --bundle` (see README, Functions)';

const HANDLER_EXAMPLE =
  'write `export default async function (input, ctx) { … }` or `export async function handler(input, ctx) { … }`';

/** Throws UNRESOLVABLE_IMPORT or MISSING_HANDLER, with the line and column where it can tell. */
export async function checkModuleShape(code: string): Promise<void> {
  await init();
  let imports: readonly Import[];
  let exports: readonly Export[];
  let hasModuleSyntax: boolean;
  try {
    [imports, exports, , hasModuleSyntax] = parse(code);
  } catch {
    // The code already passed the real parsers (type stripping, then V8's); a lexer that cannot
    // follow it must not refuse valid code. The sandbox reports a bad import or export at run time.
    return;
  }
  for (const imp of imports) {
    if (imp.type === 'static' || imp.type === 'reexport-star') checkImport(code, imp.specifier, imp.start, code.slice(imp.importStart, imp.importEnd));
  }
  const names = exports.flatMap((e) => (e.type === 'reexport-all' ? [] : [e.name]));
  if (!names.some((name) => HANDLER_EXPORTS.has(name))) throw missingHandler(code, names, hasModuleSyntax);
  checkNotClass(code, exports);
}

/** `export default class …` / `export class handler …`, as the export statement starts. */
const CLASS_DECLARATION = /^export\s+(?:default\s+)?class\b/;

/** The export the sandbox calls (default when there is one, as it takes) must not be declared a class. */
function checkNotClass(code: string, exports: readonly Export[]): void {
  const called = exports.find((e) => e.type !== 'reexport-all' && e.name === 'default') ?? exports.find((e) => e.type !== 'reexport-all' && e.name === 'handler');
  if (called === undefined || called.type !== 'direct' || called.exportStart < 0) return;
  if (!CLASS_DECLARATION.test(code.slice(called.exportStart, called.exportStart + 64))) return;
  const { line, column } = positionOf(code, called.exportStart);
  const which = called.name;
  const name = called.localName ?? 'Handler'; // an anonymous `export default class`
  const example =
    which === 'default' ? 'export default async function (input, ctx) { return new NAME().run(input, ctx); }' : 'export async function handler(input, ctx) { return new NAME().run(input, ctx); }';
  throw new AirlockError(
    'MISSING_HANDLER',
    `the module's ${which} export at ${line}:${column} is a class (${name}), which cannot be called without \`new\`: ` +
      `export a function that uses it instead, e.g. \`${example.replace('NAME', name === 'handler' ? 'Handler' : name)}\``,
    { line, column },
  );
}

function resolvesInSandbox(specifier: string): boolean {
  return isBuiltin(specifier) || specifier.startsWith('data:');
}

/** `import { } from …` / `export { } from …`: no names, as `{ type A }` leaves it once types are erased. */
const NO_NAMES = /^(import|export)\s*\{\s*\}\s*from\b/;
const RELATIVE = /^\.\.?(?:\/|$)/;

/** The function author's declarations: `airlock/types`, or the file `airlock types` printed (`./airlock.js`, `../types/airlock.d.ts`). */
const TYPES_SPECIFIER = /^airlock\/types$|^\.{1,2}\/(?:.*\/)?airlock(?:\.d)?(?:\.[cm]?[jt]s)?$/;

/** What to do about an import that cannot resolve; `statement` is its whole text, as deployed. */
function unresolvedAdvice(specifier: string, statement: string): string {
  if (specifier.startsWith('node:')) return `Node ${process.version} has no built-in module "${specifier}"`;
  if (TYPES_SPECIFIER.test(specifier)) {
    return (
      `it names Airlock's types, which exist only for type-checking: write \`import type { Context } from '${specifier}'\`, which the deploy removes ` +
      '(`import { Context }` and `import { type Context }` leave an import behind)'
    );
  }
  const single = "a function is a single module and can import only Node's built-in modules (e.g. \"node:crypto\")";
  const noNames = NO_NAMES.exec(statement);
  if (noNames !== null) {
    const keyword = noNames[1]!;
    return (
      `${single}, and this ${keyword} names nothing it could use (\`${keyword} { type A } from …\` is left as \`${keyword} {} from …\` once ` +
      `types are erased, which still loads the module); to ${keyword} only types, write \`${keyword} type { … } from ${JSON.stringify(specifier)}\` ` +
      '(erased at deploy)'
    );
  }
  if (RELATIVE.test(specifier)) {
    return `${single}; if it imports only types, write \`import type { … } from ${JSON.stringify(specifier)}\` (erased at deploy); otherwise ${BUNDLE_HINT}`;
  }
  return `${single}; ${BUNDLE_HINT}`;
}

function checkImport(code: string, specifier: string, at: number, statement: string): void {
  if (resolvesInSandbox(specifier)) return;
  const { line, column } = positionOf(code, at);
  const why = unresolvedAdvice(specifier, statement);
  throw new AirlockError('UNRESOLVABLE_IMPORT', `import "${specifier}" at ${line}:${column} cannot be resolved in the sandbox: ${why}`, {
    line,
    column,
    specifier,
  });
}

function missingHandler(code: string, names: readonly string[], hasModuleSyntax: boolean): AirlockError {
  let found = names.length > 0 ? `it exports ${names.join(', ')}` : 'it exports nothing';
  if (!hasModuleSyntax && /\b(?:module\.exports|exports\.\w+)\s*=/.test(code)) {
    found += ' (CommonJS `module.exports` is not supported: a function is an ES module)';
  }
  return new AirlockError('MISSING_HANDLER', `the module has no handler: ${found}; ${HANDLER_EXAMPLE}`);
}
