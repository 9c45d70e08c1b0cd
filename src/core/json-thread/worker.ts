// The parser thread's program: reads each large request body it is sent (UTF-8, JSON with the
// poisoning guard, the input's depth, the input serialized) and each large sandbox frame
// (sandbox-frame.ts), and answers with what it made of it or the refusal, in the order they
// came. Runs in a worker thread of the server's process.
import { parentPort, threadId } from 'node:worker_threads';
import { isAirlockError } from '../errors.js';
import { decodeJsonBytes, parseJsonText } from '../json-text.js';
import { readSandboxFrame } from './sandbox-frame.js';
import { splitInputBody } from './split.js';
import type { ParseAnswer, ThreadRequest } from './messages.js';

const port = parentPort;
if (port === null) throw new Error('json-thread/worker.js runs as a worker thread, not as a program');

port.on('message', (request: ThreadRequest) => {
  let answer: ParseAnswer;
  try {
    if (request.kind === 'frame') {
      answer = { id: request.id, threadId, frame: readSandboxFrame(request.body, request.maxResultDepth) };
    } else {
      const text = typeof request.body === 'string' ? request.body : decodeJsonBytes(request.body);
      const body = parseJsonText(text);
      answer = { id: request.id, threadId, body: splitInputBody(body, request.maxDepth) };
    }
  } catch (err) {
    answer = isAirlockError(err)
      ? { id: request.id, threadId, refusal: { code: err.code, message: err.message } }
      : { id: request.id, threadId, failure: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
});
