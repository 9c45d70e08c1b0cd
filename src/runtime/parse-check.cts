// The deploy-time syntax check: the program that runs INSIDE a sandbox started for one parse
// (Isolator.parseModule, host side in src/sandbox/parse-check.ts). V8 is the only parser that
// agrees with the sandbox's Node on every early error and on which new syntax it can run, and
// like any parser fed tenant source it is attack surface, so it runs here and not in the server.
// It reads one module from fd 3 (a 4-byte big-endian length, then that many bytes of UTF-8: the
// host sends it only once the sandbox is in its cgroup), has V8 compile it the way the harness's
// import would (`new vm.SourceTextModule(code)`: compiled, never linked or evaluated, so none of
// it runs here either), writes one JSON line on fd 3 and exits:
//     {"ok":true}   or   {"error":{"name":"SyntaxError","message":"…","stack":"…"}}
// The SyntaxError alone carries no position. The call is made from a script run with
// `displayErrors: true`, which writes V8's position of the error it lets through onto the stack:
//     function.js:3        <- V8's line
//     const x = 2;         <- the line itself: sent empty (the host has the code; a minified
//           ^                 bundle's line can be megabytes long)
//     (blank line, then "SyntaxError: …")
// Only those four lines are sent as `stack`, capped; the host reads them (services/node-diagnostic.ts).
// Nothing here is trusted by the host: it caps, validates and times the answer.
//
// CommonJS and self-contained (copied alone into the sandbox), like the harness.
// Usage: node --experimental-vm-modules --no-warnings parse-check.cjs
const vm = require('node:vm') as typeof import('node:vm');
const { Socket } = require('node:net') as typeof import('node:net');

/** The file name V8 prints above the error's source line (services/node-diagnostic.ts reads it). */
const MODULE_NAME = 'function.js';
/** Caps that keep the answer small whatever the module holds (the host refuses larger ones). */
const MAX_MESSAGE = 1024;
/** Node draws the underline in a buffer of 1020 characters; a little more keeps its true length visible. */
const MAX_UNDERLINE = 1100;
const PARSE = '__airlockParseModule';

let pending = '';
Object.defineProperty(globalThis, PARSE, {
  value: () => {
    new vm.SourceTextModule(pending, { identifier: MODULE_NAME });
  },
});
const harness = new vm.Script(`${PARSE}()`, { filename: 'airlock-parse' });

/** The arrow of a decorated stack without the source line, or '' when V8 gave no position. */
function arrowOf(stack: string): string {
  const [head, , underline, blank] = stack.split('\n');
  if (head === undefined || !/^function\.js:\d+$/.test(head)) return '';
  return [head, '', (underline ?? '').slice(0, MAX_UNDERLINE), ...(blank === undefined ? [] : [blank.slice(0, MAX_UNDERLINE)])].join('\n');
}

function verdict(code: string): string {
  pending = code;
  try {
    harness.runInThisContext({ displayErrors: true });
    return JSON.stringify({ ok: true });
  } catch (thrown) {
    const err = thrown instanceof Error ? thrown : new Error(String(thrown));
    const name = err.name === 'SyntaxError' || err.name === 'RangeError' ? err.name : 'Error';
    const message = err.message.length > MAX_MESSAGE ? `${err.message.slice(0, MAX_MESSAGE)}…` : err.message;
    return JSON.stringify({ error: { name, message, stack: arrowOf(String(err.stack)) } });
  } finally {
    pending = '';
  }
}

const channel = new Socket({ fd: 3, readable: true, writable: true });
const chunks: Buffer[] = [];
let received = 0;
let expected: number | undefined;
channel.on('data', (chunk: Buffer) => {
  chunks.push(chunk);
  received += chunk.length;
  if (expected === undefined && received >= 4) expected = Buffer.concat(chunks).readUInt32BE(0);
  if (expected === undefined || received < 4 + expected) return;
  channel.pause();
  const code = Buffer.concat(chunks).subarray(4, 4 + expected).toString('utf8');
  chunks.length = 0;
  channel.write(`${verdict(code)}\n`, () => process.exit(0));
});
channel.on('end', () => process.exit(0));
channel.on('error', () => process.exit(0));
