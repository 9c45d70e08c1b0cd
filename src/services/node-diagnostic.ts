// Turns V8's verdict on a module (node-parse.ts: parsed in a sandbox by runtime/parse-check.cts)
// into a deploy error: where (line and column in the editor's terms) and what to write instead.
// V8's position comes from the head of the stack that `displayErrors` decorated, as the check
// sandbox sends it (the source line left out: the code is here):
//     function.js:3        <- V8's line (V8 also ends lines at \r, U+2028 and U+2029)
//                          <- where Node shows that line (cut at a NUL character)
//           ^              <- one space or tab per UTF-16 unit before the error; Node draws at
//                             most 1020, so past that column (or after a NUL) the column is unknown
// Syntax that Node cannot run yet (decorators, `using`, auto-accessors) is UNSUPPORTED_SYNTAX with
// a rewrite; everything else V8 refuses, early errors included, is SYNTAX_ERROR.
import { AirlockError } from '../core/errors.js';
import type { Runtime } from '../core/types.js';
import type { ModuleParseError } from './node-parse.js';
import { positionOf } from './source-position.js';

/** Where V8 put the error, as an offset in the code; `offset` is undefined when only the line is known. */
export interface NodePosition {
  line: number;
  column: number | undefined;
  offset: number | undefined;
}

/** The file name V8 prints above the error's source line (runtime/parse-check.cts names the module so). */
const MODULE_NAME = 'function.js';
/** Node draws the underline in a buffer of this many characters. */
const UNDERLINE_LIMIT = 1020;
const V8_LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g;
const ARROW_HEAD = new RegExp(`^${MODULE_NAME.replace('.', '\\.')}:(\\d+)$`);

/** Offset of the start of V8's 1-based line `line` in `code`, or undefined past the end. */
function v8LineStart(code: string, line: number): number | undefined {
  if (line === 1) return 0;
  let seen = 1;
  for (const m of code.matchAll(V8_LINE_BREAK)) {
    if (++seen === line) return m.index + m[0].length;
  }
  return undefined;
}

function v8LineText(code: string, start: number): string {
  V8_LINE_BREAK.lastIndex = start;
  const end = V8_LINE_BREAK.exec(code)?.index ?? code.length;
  V8_LINE_BREAK.lastIndex = 0;
  return code.slice(start, end);
}

/** Reads V8's position from a decorated stack; undefined when the stack carries none. */
export function nodeErrorPosition(stack: string, code: string): NodePosition | undefined {
  // The arrow is "head\nline\nunderline\n", then a blank line; without an underline, no blank line.
  const [head, , underline, blank] = stack.split('\n');
  const v8Line = ARROW_HEAD.exec(head ?? '');
  if (!v8Line) return undefined;
  const lineStart = v8LineStart(code, Number(v8Line[1]));
  if (lineStart === undefined) return undefined;
  const line = positionOf(code, lineStart).line;
  const text = v8LineText(code, lineStart);
  let index: number | undefined;
  if (underline !== undefined && blank === '' && /^[ \t^]*$/.test(underline) && !text.includes('\0')) {
    const caret = underline.indexOf('^');
    // No caret: an empty span (the end of the input), unless the line ran past the buffer.
    if (caret >= 0) index = caret;
    else if (underline.length < UNDERLINE_LIMIT && underline.length <= text.length) index = underline.length;
  }
  if (index === undefined) return { line, column: undefined, offset: undefined };
  const offset = lineStart + index;
  return { ...positionOf(code, offset), offset };
}

const nodeMajor = process.versions.node.split('.')[0];

interface Unsupported {
  what: string;
  instead: string;
}

function decorators(runtime: Runtime): Unsupported {
  const ts = runtime === 'typescript' ? " (TypeScript's decorators are not erasable syntax either: they need a compile step)" : '';
  return {
    what: `decorators are not supported: Node ${nodeMajor} cannot run them${ts}`,
    instead:
      'call the decorating function yourself where the function or class is defined, e.g. ' +
      '`const run = log(function run() { … })` instead of `@log run() { … }`, or `A = log(A)` for a class',
  };
}

const USING: Unsupported = {
  what: `\`using\` declarations are not supported: Node ${nodeMajor} cannot run them`,
  instead: 'declare the resource with `const` and dispose of it in `finally`, e.g. ' +
    '`const x = open(); try { … } finally { x[Symbol.dispose]?.(); }`',
};

const ACCESSOR: Unsupported = {
  what: `auto-accessors (\`accessor x\`) are not supported: Node ${nodeMajor} cannot run them`,
  instead: 'write a private field with a getter and a setter, e.g. `#x = 1; get x() { return this.#x; } set x(v) { this.#x = v; }`',
};

/** Syntax V8 refused because this Node cannot run it yet, recognised from the code at the error. */
function unsupported(err: ModuleParseError, code: string, offset: number, runtime: Runtime): Unsupported | undefined {
  if (code[offset] === '@' && /^@[\p{ID_Start}$_(]/u.test(code.slice(offset, offset + 2))) return decorators(runtime);
  const before = code.slice(Math.max(0, offset - 64), offset);
  if (/(?:^|[^\w$.#])(?:await[ \t]+)?using[ \t]+$/.test(before) && /^Unexpected (?:identifier|token)/.test(err.message)) return USING;
  if (/(?:^|[^\w$.#])accessor[ \t]+$/.test(before) && /^Unexpected (?:identifier|token|string|number)/.test(err.message)) return ACCESSOR;
  return undefined;
}

/** The deploy error for V8's verdict on `code` (the JavaScript the sandbox would load). */
export function nodeSyntaxError(err: ModuleParseError, code: string, runtime: Runtime): AirlockError {
  if (err.name === 'RangeError') {
    return new AirlockError(
      'SYNTAX_ERROR',
      `Node's parser ran out of stack on this module (${err.message}): it nests too deeply; ` +
        'flatten the deepest nesting (e.g. a huge literal: build it at run time or parse it from JSON)',
    );
  }
  const position = nodeErrorPosition(err.stack, code);
  const at =
    position === undefined ? '' : position.column === undefined ? ` at line ${position.line}` : ` at ${position.line}:${position.column}`;
  const details =
    position === undefined ? undefined : position.column === undefined ? { line: position.line } : { line: position.line, column: position.column };
  const noColumn =
    position !== undefined && position.column === undefined
      ? " (Node's parser gives no column on a line this long; split the line to see where)"
      : '';
  const found = position?.offset === undefined ? undefined : unsupported(err, code, position.offset, runtime);
  if (found) {
    return new AirlockError('UNSUPPORTED_SYNTAX', `unsupported syntax${at}: ${found.what}; ${found.instead}`, details);
  }
  return new AirlockError('SYNTAX_ERROR', `syntax error${at}: ${err.message}${noColumn}`, details);
}
