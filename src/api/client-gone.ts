// A signal that a caller went away: aborted when the connection of a request closes before its
// answer was sent (a client timeout, a cancelled call). An invoke waiting for an admission slot
// is then dropped instead of run for nobody, so clients that time out and retry do not add their
// abandoned calls to the load. Made only when a call has to wait (Admission's WaitSignal).
import type { ServerResponse } from 'node:http';
import { AirlockError } from '../core/errors.js';

export function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (res.destroyed) {
    controller.abort(closedBeforeAnswer());
    return controller.signal;
  }
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(closedBeforeAnswer());
  });
  return controller.signal;
}

function closedBeforeAnswer(): AirlockError {
  return new AirlockError(
    'CLIENT_CLOSED_REQUEST',
    'the client closed the connection while the call waited for an admission slot; it was not run',
  );
}
