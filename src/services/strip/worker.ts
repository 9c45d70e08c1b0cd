// The type-stripping thread's program: strips each source it is sent with amaro (swc in
// WebAssembly, strip-only) and answers with the JavaScript or what amaro threw. Runs in a worker
// thread of the server's process, so a source that keeps swc busy (its parser backtracks
// exponentially on some nestings, e.g. `<T>(<T>(…))`) never blocks the event loop: the thread is
// ended at the deadline (thread.ts).
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import type { StripAnswer, StripRequest } from './messages.js';

interface Amaro {
  transformSync(source: string, options: { mode: 'strip-only' }): { code: string };
}

const port = parentPort;
if (port === null) throw new Error('strip/worker.js runs as a worker thread, not as a program');

const require = createRequire(import.meta.url);
let amaro: Amaro | undefined;

/**
 * A WebAssembly trap in swc (its stack runs out a few hundred brackets deep) leaves the instance
 * broken: every later strip, of any tenant, would trap too. The next strip loads a fresh one.
 */
function discardAmaro(): void {
  amaro = undefined;
  delete require.cache[require.resolve('amaro')];
}

port.on('message', (request: StripRequest) => {
  let answer: StripAnswer;
  try {
    amaro ??= require('amaro') as Amaro;
    answer = { id: request.id, code: amaro.transformSync(request.source, { mode: 'strip-only' }).code };
  } catch (thrown) {
    // amaro reports a parse error as a string; anything else is swc itself failing.
    if (typeof thrown === 'string') answer = { id: request.id, thrown };
    else {
      discardAmaro();
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      answer = thrown instanceof Error && thrown.name === 'RuntimeError' ? { id: request.id, trap: message } : { id: request.id, failure: message };
    }
  }
  port.postMessage(answer);
});
