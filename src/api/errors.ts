// Maps every error to the API's error body {"error":{"code","message"}} and a 4xx/5xx status.
// Fastify's own refusals (validation, body too large, content-type) get stable codes too; bad
// JSON is refused by the body parser (json-body.ts). A body too large is read to its end first
// (drain-body.ts), so that a client still sending it gets the refusal (unless the client waits for
// a 100 Continue that the refusal withholds, expect-continue.ts: then the body is not coming);
// after a refusal made before the body was read (no key, a wrong webhook token), it is drained the
// same way and its connection closed if it does not finish. A write refused because the data
// dir's disk is full is 507 STORAGE_FULL, a read of a damaged database file 500 DATABASE_CORRUPT
// (store/storage-errors.ts), each logged without a stack per request (store-failure-log.ts).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError, isAirlockError } from '../core/errors.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { damagedAtRuntime, isDatabaseDamaged, isStorageFull, storageFull } from '../store/storage-errors.js';
import { bodyTooLarge } from './body-limits.js';
import { drainBody } from './drain-body.js';
import type { ErrorCounter } from './error-counts.js';
import { withholdContinue } from './expect-continue.js';
import { noteAnsweredBeforeBody, noteBodyEnded } from './protocol-errors.js';
import { StoreFailureLog } from './store-failure-log.js';
import { validationMessage } from './validation-message.js';

export function errorHandler(logger: Logger, config: Config, errors: ErrorCounter) {
  const storeFailures = new StoreFailureLog(logger, config.dataDir);
  const send = (reply: FastifyReply, err: AirlockError): void => sendError(reply, err, errors);
  return function handle(err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    // A client waiting for a 100 Continue that this answer withholds is not sending its body.
    const bodyHeldBack = withholdContinue(request.raw);
    if (isStorageFull(err)) {
      storeFailures.note('full', err, loggableUrl(request.url));
      send(reply, storageFull());
      return undefined;
    }
    if (isDatabaseDamaged(err)) {
      storeFailures.note('damaged', err, loggableUrl(request.url));
      send(reply, damagedAtRuntime());
      return undefined;
    }
    const refusal = isAirlockError(err) ? err : fastifyRefusal(err, request, config);
    if (refusal !== undefined && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && !bodyHeldBack) {
      // The client may still be sending the body: let it finish, or it never reads the answer.
      return drainBody(request.raw).then(() => send(reply, refusal));
    }
    if (refusal !== undefined) {
      send(reply, refusal);
      // Refused before its body was read (no key, a wrong webhook token): the rest of the body is
      // read and dropped while the client sends it (closing now could reset the connection before
      // a client still uploading reads the answer), for as long as a 413's drain at most; a body
      // still unfinished then has its connection closed, so a client that never sends the rest
      // cannot keep it open until the request timeout (and get a second answer, a 408, there).
      // A request timeout shorter than the drain cuts the body first: the socket is noted so that
      // the cut closes the connection without a second answer (protocol-errors.ts).
      if (!request.raw.complete) {
        const socket = request.raw.socket;
        noteAnsweredBeforeBody(socket);
        void drainBody(request.raw).then(() => {
          if (!request.raw.complete) return void socket.destroy();
          noteBodyEnded(socket);
        });
      }
      return undefined;
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      errors.count(status, 'BAD_REQUEST');
      void reply.status(status).send({ error: { code: 'BAD_REQUEST', message: err.message } });
      return undefined;
    }
    logger.error({ err, url: loggableUrl(request.url) }, 'unhandled error');
    errors.count(500, 'INTERNAL');
    void reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the server log' } });
    return undefined;
  };
}

/** The request's URL for the log: webhook URLs carry their token, never logged. */
function loggableUrl(url: string): string {
  return url.startsWith('/hooks/') ? url.replace(/^(\/hooks\/[^/]*\/[^/?]*\/)[^?]*/, '$1<token>') : url;
}

function sendError(reply: FastifyReply, err: AirlockError, errors: ErrorCounter): void {
  errors.count(err.status, err.code);
  const retry = err.details?.retryAfterSeconds;
  if (typeof retry === 'number') void reply.header('retry-after', String(retry));
  void reply.status(err.status).send(err.toJSON());
}

/** Fastify's own refusals of a request, with stable codes; undefined for any other error. */
function fastifyRefusal(err: FastifyError, request: FastifyRequest, config: Config): AirlockError | undefined {
  if (err.validation) {
    return new AirlockError('VALIDATION_FAILED', `invalid request: ${validationMessage(err, request)}${validationHint(err, request)}`);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge(request, config);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(request);
    default:
      return undefined;
  }
}

/**
 * What to do about a failed validation: a body that is not a JSON object at all (none sent, an
 * empty one, or JSON that is not an object) gets the fix spelled out; every other failure points
 * to the schemas. (A body of another content-type never gets here: it is a 415.)
 */
function validationHint(err: FastifyError, request: FastifyRequest): string {
  const wholeBody = err.validationContext === 'body' && err.validation?.some((v) => v.instancePath === '' && v.keyword === 'type');
  if (!wholeBody) return '; the request schemas are in GET /openapi.json';
  const type = request.headers['content-type'];
  const sent = type === undefined ? 'no content-type' : `content-type ${type.split(';')[0]}`;
  return `; send a JSON object${bodyExample(request)} with content-type: application/json (this request had ${sent})`;
}

/** The body a route takes, as an example for a request that sent none or not an object. */
function bodyExample(request: FastifyRequest): string {
  const route = request.routeOptions.url ?? '';
  if (route.endsWith('/invoke') || route.endsWith('/jobs')) return ' (e.g. {"input": ...})';
  if (route.endsWith('/invoke-batch')) return ' (e.g. {"inputs": [...]})';
  if (request.method === 'PUT' && route === '/v1/tenants/:tenant/functions/:name') return ' (e.g. {"code": "export default async (input) => input"})';
  return '';
}

/** A body whose content-type no parser takes: name what was sent and how to send JSON. */
function unsupportedMediaType(request: FastifyRequest): AirlockError {
  const type = request.headers['content-type'];
  const sent = type === undefined ? 'a body without a content-type' : `content-type ${JSON.stringify(type)}`;
  if (request.url.startsWith('/hooks/')) {
    // Webhook deliveries take any media type; only one that cannot be parsed gets here.
    return new AirlockError(
      'UNSUPPORTED_MEDIA_TYPE',
      `this delivery has ${sent}, which is not a media type; send a valid one (e.g. application/json or ` +
        'text/plain), or none: deliveries take any body',
    );
  }
  return new AirlockError(
    'UNSUPPORTED_MEDIA_TYPE',
    `this request has ${sent}; the API takes JSON: send a JSON body with the header ` +
      `content-type: application/json (with curl: -H 'content-type: application/json' -d '{"input": ...}'; ` +
      'a plain -d sends form data)',
  );
}
