// The parser thread's program: reads each large request body it is sent (UTF-8, JSON with the
// poisoning guard, the input's depth, the input serialized) and answers with the split body or
// the refusal, in the order the bodies came. Runs in a worker thread of the server's process.
import { parentPort, threadId } from 'node:worker_threads';
import { isAirlockError } from '../errors.js';
import { decodeJsonBytes, parseJsonText } from '../json-text.js';
import { splitInputBody } from './split.js';
import type { ParseRequest, ParseAnswer } from './messages.js';

const port = parentPort;
if (port === null) throw new Error('json-thread/worker.js runs as a worker thread, not as a program');

port.on('message', (request: ParseRequest) => {
  let answer: ParseAnswer;
  try {
    const text = typeof request.body === 'string' ? request.body : decodeJsonBytes(request.body);
    const body = parseJsonText(text);
    answer = { id: request.id, threadId, body: splitInputBody(body, request.maxDepth) };
  } catch (err) {
    answer = isAirlockError(err)
      ? { id: request.id, threadId, refusal: { code: err.code, message: err.message } }
      : { id: request.id, threadId, failure: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
});
