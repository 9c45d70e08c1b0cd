// `Expect: 100-continue`: the 100 Continue goes out only once the request has passed every check
// made before its body is read (the route, the closing server, the API key or webhook token, the
// content-type, the body limit against content-length), at the moment its body starts being read.
// Node's default answers 100 as soon as the headers are in, so a caller with no key, a wrong
// webhook token or a body over the limit was told to send it, and the server then had to read or
// drain it. A request refused before its body gets its final answer alone; Node marks that answer
// `Connection: close` and closes the connection after it (the client may or may not send the body,
// so the connection cannot carry another request). Other Expect values keep Node's 417, and
// HTTP/1.0 requests (never answered 100 by Node) are read as before.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Requests whose client waits for a 100 Continue before sending the body, until it is sent or withheld. */
const waiting = new WeakSet<IncomingMessage>();

/**
 * Takes `Expect: 100-continue` over from Node. `notFound` answers a request for no route: it is
 * answered before its body is read (Fastify would read a JSON body for the 404 handler first).
 */
export function continueAfterChecks(app: FastifyInstance, notFound: (request: FastifyRequest, reply: FastifyReply) => void): void {
  // With a 'checkContinue' listener, Node leaves the 100 to us and emits no 'request' itself.
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    waiting.add(req);
    app.server.emit('request', req, res);
  });
  // An onRequest hook (the server has others, so this costs a request without Expect one lookup,
  // not a hook phase of its own): the route is known here; the checks made before the body (the
  // closing server, the API key, the webhook token, the content-type and content-length) all run
  // before the body is read, which is when the 100 goes out.
  app.addHook('onRequest', (request, reply, done) => {
    const req = request.raw;
    if (!waiting.has(req)) return done();
    if (request.is404) {
      waiting.delete(req);
      return notFound(request, reply);
    }
    // Fastify starts reading the body (resume) only after its own checks passed; a refusal before
    // that withholds the 100 (errors.ts), and so does an answer sent without reading the body.
    req.once('resume', () => {
      if (waiting.delete(req) && !reply.raw.headersSent) reply.raw.writeContinue();
    });
    done();
  });
}

/**
 * No 100 Continue will go out for `req` (it is being answered before its body is read). True when
 * its client was still waiting for one, so has not sent the body: do not wait for it.
 */
export function withholdContinue(req: IncomingMessage): boolean {
  return waiting.delete(req);
}
