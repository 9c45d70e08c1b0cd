// Reads and discards the rest of a refused request's body before the refusal goes out. A server
// that answers and closes while the client is still uploading resets the connection, and the
// client (the CLI, fetch) sees a broken connection instead of the answer, so a too-large body
// would read as a crashed server. Bounded: a body declared larger than maxBytes, more than
// maxBytes read, or maxMs gone by, and the answer goes out at once (the connection closes).
import type { IncomingMessage } from 'node:http';

/** Bodies up to this size are read to their end before a refusal is sent. */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
/** Longest a refusal waits for the body's end. */
export const DRAIN_MAX_MS = 5_000;

export function drainBody(req: IncomingMessage, maxBytes = DRAIN_MAX_BYTES, maxMs = DRAIN_MAX_MS): Promise<void> {
  if (req.complete || req.readableEnded || req.destroyed) return Promise.resolve();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let read = 0;
    const finish = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', finish);
      req.off('error', finish);
      req.off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > maxBytes) {
        req.pause();
        finish();
      }
    };
    const timer = setTimeout(finish, maxMs);
    req.on('data', onData);
    req.once('end', finish);
    req.once('error', finish);
    req.once('close', finish);
    req.resume();
  });
}
