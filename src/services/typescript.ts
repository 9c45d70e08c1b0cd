// Turns deployed source into the JavaScript the sandbox loads, with amaro (Node's own type
// stripper, strip-only: types become whitespace, so lines and columns stay where they were), run
// in a thread of its own with a deadline (strip/thread.ts).
// TypeScript: stripped. JavaScript: must come out of stripping unchanged, which catches
// TypeScript syntax deployed as JavaScript. Then V8 parses the result as a module (node-parse.ts:
// in a sandbox of its own, never run): amaro's parser accepts syntax Node cannot run (decorators, `using`, `accessor`)
// and knows no early errors (`const x = 1; const x = 2;`), which would otherwise deploy and then
// fail every call. A JavaScript syntax error is reported in V8's words and at V8's position,
// as Node would report it. Errors carry {line, column}.
import { AirlockError } from '../core/errors.js';
import type { Runtime } from '../core/types.js';
import { nodeSyntaxError } from './node-diagnostic.js';
import type { ModuleParser } from './node-parse.js';
import { positionOf } from './source-position.js';
import { parseStripError } from './strip-diagnostic.js';
import { StripThread } from './strip/thread.js';

/** How to rewrite each construct that strip-only mode cannot erase. */
const REWRITES: [RegExp, string][] = [
  [
    /\benum\b/i,
    "replace the enum with a const object and a union type, e.g. `const Color = { Red: 'red' } as const; " +
      'type Color = (typeof Color)[keyof typeof Color];`',
  ],
  [/namespace/i, 'replace the namespace with top-level declarations or a plain object'],
  [
    /parameter propert/i,
    'declare the field in the class body and assign it in the constructor, e.g. ' +
      '`class A { x: number; constructor(x: number) { this.x = x; } }`',
  ],
  [/import equals/i, "use an ES import, e.g. `import fs from 'node:fs'` or `import * as fs from 'node:fs'`"],
  [/export assignment/i, 'use `export default …` instead of `export = …`'],
  [/angle-bracket/i, 'use `expr as T` instead of `<T>expr`'],
];

const GENERAL_REWRITE =
  'only TypeScript that can be erased to JavaScript is supported (annotations, interfaces, type aliases, ' +
  '`as`, generics); rewrite this construct in plain JavaScript';

function rewriteHint(message: string): string {
  return REWRITES.find(([re]) => re.test(message))?.[1] ?? GENERAL_REWRITE;
}

/** Strips types off the event loop (strip/thread.ts): a source that keeps swc busy is cut off. */
const stripThread = new StripThread();

function stripError(thrown: unknown, source: string): AirlockError {
  if (thrown instanceof Error && thrown.name === 'RuntimeError') {
    return new AirlockError(
      'SYNTAX_ERROR',
      `the deploy's parser (swc, which also checks JavaScript) failed on this module (${thrown.message}), most likely because it nests too deeply ` +
        '(a few hundred levels of brackets or calls); flatten the deepest nesting, e.g. build a huge literal at run time or parse it from JSON',
    );
  }
  const d = parseStripError(thrown, source);
  if (/parameter propert/i.test(d.message)) d.column = modifiersStart(source, d.line, d.column);
  const at = `${d.line}:${d.column}`;
  if (d.unsupported) {
    return new AirlockError(
      'UNSUPPORTED_SYNTAX',
      `unsupported TypeScript at ${at}: ${d.message.replace(/\.+$/, '')}. Airlock runs TypeScript by erasing types only; ` +
        rewriteHint(d.message),
      { line: d.line, column: d.column },
    );
  }
  return new AirlockError('SYNTAX_ERROR', `syntax error at ${at}: ${d.message}`, { line: d.line, column: d.column });
}

/**
 * Where the modifiers before a parameter property's name begin (`private`, `public readonly`, …):
 * the parser marks the name, but the modifier is what must go.
 */
function modifiersStart(source: string, line: number, column: number): number {
  const before = (source.split(/\r?\n/)[line - 1] ?? '').slice(0, column - 1);
  const found = /(?:\b(?:public|private|protected|readonly|override)\s+)+$/.exec(before);
  return found === null ? column : found.index + 1;
}

function withoutBom(source: string): string {
  return source.startsWith('\uFEFF') ? source.slice(1) : source;
}

/** JavaScript must be a fixed point of type stripping; report where it is not. */
function checkPlainJavaScript(source: string, code: string): void {
  const body = withoutBom(source);
  if (code === body) return;
  let i = 0;
  while (i < body.length && body[i] === code[i]) i++;
  const { line, column } = positionOf(body, i);
  throw new AirlockError(
    'SYNTAX_ERROR',
    `TypeScript syntax at ${line}:${column} in a function deployed with runtime "javascript": ` +
      'deploy it with runtime "typescript" (the API\'s default; with the CLI, `--runtime typescript` or a .ts file), ' +
      'or remove the type syntax; ' +
      'if it is a comparison such as `a < b > (c)`, add parentheses: `(a < b) > (c)`',
    { line, column },
  );
}

/**
 * The JavaScript to load for `source`, deployed by `tenant`; `parse` is V8's parse in a sandbox.
 * Throws SYNTAX_ERROR or UNSUPPORTED_SYNTAX (SYNTAX_ERROR too when stripping takes longer than
 * STRIP_TIMEOUT_MS), or SYNTAX_CHECK_FAILED when the parse gave no verdict.
 */
export async function toJavaScript(source: string, runtime: Runtime, tenant: string, parse: ModuleParser): Promise<string> {
  // A stop that begins while the source waits for its stripping (one at a time) waits for it too.
  const release = parse.hold?.();
  try {
    return await checked(source, runtime, tenant, parse);
  } finally {
    release?.();
  }
}

async function checked(source: string, runtime: Runtime, tenant: string, parse: ModuleParser): Promise<string> {
  const stripped = await stripThread.strip(source, tenant);
  if ('thrown' in stripped) {
    if (runtime === 'javascript') {
      // Node's own words and position when V8 agrees the code is broken; amaro's otherwise.
      const body = withoutBom(source);
      const refused = await parse(body, tenant);
      if (refused) throw nodeSyntaxError(refused, body, runtime);
    }
    throw stripError(stripped.thrown, source);
  }
  const { code } = stripped;
  if (runtime === 'javascript') checkPlainJavaScript(source, code);
  const refused = await parse(code, tenant);
  if (refused) throw nodeSyntaxError(refused, code, runtime);
  return code;
}
