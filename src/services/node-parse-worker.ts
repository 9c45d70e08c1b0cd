// Worker thread, started with --experimental-vm-modules, in which V8 parses a function module the
// way the sandbox's Node will: `new vm.SourceTextModule(code)` compiles the module and throws its
// SyntaxError, early errors included. The module is never linked or evaluated, so none of the
// tenant's code runs here. Each message is {id, code}; the answer is {id} or {id, error}.
// The SyntaxError alone carries no position. The call is made from a script run with
// `displayErrors: true`, which writes V8's position of the error it lets through onto the stack:
//     function.js:3
//     const x = 2;
//           ^
//     (blank line, then "SyntaxError: …")
// node-diagnostic.ts reads that into a line and column.
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { MODULE_NAME } from './node-parse-protocol.js';
import type { ParseAnswer, ParseRequest } from './node-parse-protocol.js';

const PARSE = '__airlockParseModule';

const port = parentPort;
if (port === null) throw new Error('node-parse-worker.js runs as a worker thread of the Airlock server');

let pending = '';
Object.defineProperty(globalThis, PARSE, {
  value: () => {
    new vm.SourceTextModule(pending, { identifier: MODULE_NAME });
  },
});
const harness = new vm.Script(`${PARSE}()`, { filename: 'airlock-parse' });

port.on('message', ({ id, code }: ParseRequest) => {
  pending = code;
  try {
    harness.runInThisContext({ displayErrors: true });
    port.postMessage({ id } satisfies ParseAnswer);
  } catch (thrown) {
    const err = thrown instanceof Error ? thrown : new Error(String(thrown));
    port.postMessage({ id, error: { name: err.name, message: err.message, stack: String(err.stack) } } satisfies ParseAnswer);
  } finally {
    pending = '';
  }
});
