// Once the server begins to stop, the answers of requests already in flight (an invoke still
// running, a deploy in its syntax check) say `Connection: close`, and Node closes each connection
// after its answer: the client learns from that answer to open its next request elsewhere,
// instead of sending it on the same connection and getting 503 SHUTTING_DOWN.
//
// Cost while the server is not stopping: one Set entry per connection, added when the connection
// opens and removed when it closes; nothing per request (no hook: the invoke path runs thousands of
// calls a second on a few keep-alive connections, docs/performance.md). At the stop, the answer in
// flight on each open connection is the one Node is writing there (`socket._httpMessage`, the
// property through which Node's own server ties a response to its socket); an answer whose headers
// are not out yet gets the header. Requests that arrive after that are refused with the header by
// refuseWhileClosing (protocol-errors.ts).
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** A socket of Node's HTTP server, with the response being written on it (if any). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

export function closeConnectionsAfterAnswersOnStop(app: FastifyInstance): void {
  const open = new Set<HttpSocket>();
  app.server.on('connection', (socket: HttpSocket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  app.addHook('preClose', (done) => {
    for (const socket of open) {
      const res = socket._httpMessage;
      if (res !== null && res !== undefined && !res.headersSent) res.setHeader('connection', 'close');
    }
    done();
  });
}
