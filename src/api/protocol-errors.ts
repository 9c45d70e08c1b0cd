// Refusals that happen before any route runs, in the API's one error format: requests Node's HTTP
// parser cannot read (malformed, headers too large, too slow), URLs the router refuses (a broken
// percent-encoding, a path segment too long), and requests on a connection still open while the
// server stops. Without these, Fastify and Node answer in bodies of their own
// ({"error":"Bad Request",…}) that a client reading error.code cannot use.
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ErrorCounter } from './error-counts.js';

/** Node's parser's limit on a request's header section (`--max-http-header-size`). */
const HEADER_LIMIT_BYTES = 16 * 1024;
/** The router's limit on one part of a path (Fastify's maxParamLength default). */
const MAX_PATH_PART = 100;
/** How much of a refused URL an error message repeats. */
const URL_EXCERPT = 120;

function excerpt(url: string): string {
  return url.length <= URL_EXCERPT ? url : `${url.slice(0, URL_EXCERPT)}… (${url.length} characters)`;
}

/** The answer to a request the HTTP parser could not read; undefined when no answer can be sent. */
export function clientErrorAnswer(err: NodeJS.ErrnoException): AirlockError | undefined {
  switch (err.code) {
    case 'ECONNRESET':
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      return new AirlockError(
        'HEADERS_TOO_LARGE',
        `the request line and headers are larger than ${HEADER_LIMIT_BYTES} bytes in all (a long query string counts too); ` +
          'send fewer or smaller headers, or a shorter URL',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AirlockError('REQUEST_TIMEOUT', 'the request was not received in time; send it again, all at once');
    default:
      return new AirlockError(
        'BAD_REQUEST',
        `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'}); send a well-formed request ` +
          '(for example, not both Content-Length and Transfer-Encoding)',
      );
  }
}

/**
 * Sockets whose request in progress was already answered (refused before its body was read; the
 * rest of the body is then read and dropped, errors.ts). Until that body ends, a clientError on
 * the socket (the request timeout cutting the body) closes it without an answer of its own.
 */
const answeredBeforeBody = new WeakSet<Socket>();

/** The request in progress on `socket` was answered while its body is still coming. */
export function noteAnsweredBeforeBody(socket: Socket): void {
  answeredBeforeBody.add(socket);
}

/** The body of the request noted above ended: the connection serves its next request as usual. */
export function noteBodyEnded(socket: Socket): void {
  answeredBeforeBody.delete(socket);
}

/**
 * Node's 'clientError' handler: answers in the API's format, then closes the connection. A
 * request already answered (refused before its body was read, the body then cut by the request
 * timeout) gets no second answer: its connection is only closed, since a client would take an
 * unasked-for answer for the answer to its next request.
 */
export function clientErrorHandler(logger: Logger, errors: ErrorCounter) {
  return function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const answer = socket.destroyed || answeredBeforeBody.has(socket) ? undefined : clientErrorAnswer(err);
    logger.debug({ code: err.code }, 'refused a request the HTTP parser could not read');
    if (answer !== undefined && socket.writable) {
      errors.count(answer.status, answer.code);
      const body = JSON.stringify(answer.toJSON());
      socket.write(
        `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/** Fastify's `frameworkErrors`: URLs its router refuses before any route or hook runs. */
export function frameworkErrorHandler(errors: ErrorCounter) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => sendAsIs(reply, routingRefusal(error, request), errors);
}

function routingRefusal(error: FastifyError, request: FastifyRequest): AirlockError {
  const raw = request.raw.url ?? '';
  const url = excerpt(raw);
  let answer: AirlockError;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const longest = raw.split('?')[0]!.split('/').reduce((a, b) => (b.length > a.length ? b : a), '');
    answer = new AirlockError(
      'URI_TOO_LONG',
      `a part of the path is ${longest.length} characters long, above the ${MAX_PATH_PART} the server takes: ${url}; ` +
        'tenant and function names are at most 63 characters, ids at most 64',
    );
  } else if (error.code === 'FST_ERR_BAD_URL') {
    answer = new AirlockError(
      'BAD_REQUEST',
      `the path is not a valid URL: ${url}; it has a "%" not followed by two hex digits, or percent-encoded bytes that are not UTF-8 (write a "%" itself as %25)`,
    );
  } else {
    answer = new AirlockError('BAD_REQUEST', `the request could not be routed (${error.code}): ${url}`);
  }
  return answer;
}

/** Sends the error body as a string: no route's response schema (which may not list the status) applies. */
function sendAsIs(reply: FastifyReply, err: AirlockError, errors: ErrorCounter): void {
  errors.count(err.status, err.code);
  void reply.status(err.status).type('application/json; charset=utf-8').send(JSON.stringify(err.toJSON()));
}

/**
 * Once the server is closing, a request that still arrives on an open keep-alive connection is
 * answered 503 SHUTTING_DOWN (Fastify's own 503 has its own body) and its connection closed.
 */
export function refuseWhileClosing(app: FastifyInstance, errors: ErrorCounter): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    const err = new AirlockError('SHUTTING_DOWN', 'the server is stopping; send the request again to another server or after its restart');
    sendAsIs(reply.header('connection', 'close'), err, errors);
  });
}
