// Maps every error to the API's error body {"error":{"code","message"}} and a 4xx/5xx status.
// Fastify's own errors (validation, body too large, bad JSON) get stable codes too.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError, isAirlockError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { validationMessage } from './validation-message.js';

export function errorHandler(logger: Logger) {
  return function handle(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    if (isAirlockError(err)) {
      const retry = err.details?.retryAfterSeconds;
      if (typeof retry === 'number') void reply.header('retry-after', String(retry));
      void reply.status(err.status).send(err.toJSON());
      return;
    }
    if (err.validation) {
      void reply.status(400).send({
        error: { code: 'VALIDATION_FAILED', message: `invalid request: ${validationMessage(err, request)}${validationHint(err, request)}` },
      });
      return;
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const deploying = request.method === 'PUT' && request.url.includes('/functions/');
      if (request.url.startsWith('/hooks/')) {
        void reply.status(413).send({
          error: {
            code: 'INPUT_TOO_LARGE',
            message: `the delivery body is larger than ${request.routeOptions.bodyLimit ?? 'the limit'} bytes and was not stored; send less or ask the operator to raise AIRLOCK_WEBHOOK_BODY_BYTES`,
          },
        });
        return;
      }
      void reply.status(413).send({
        error: {
          code: deploying ? 'SOURCE_TOO_LARGE' : 'INPUT_TOO_LARGE',
          message: `request body is larger than the server accepts (${request.routeOptions.bodyLimit ?? 'limit'} bytes); send less or ask the operator to raise AIRLOCK_MAX_INPUT_BYTES / AIRLOCK_MAX_SOURCE_BYTES`,
        },
      });
      return;
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const refusal = unsupportedMediaType(request);
      void reply.status(refusal.status).send(refusal.toJSON());
      return;
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      void reply.status(status).send({ error: { code: 'BAD_REQUEST', message: err.message } });
      return;
    }
    // Webhook URLs carry their token: never log it.
    const url = request.url.startsWith('/hooks/') ? request.url.replace(/^(\/hooks\/[^/]*\/[^/?]*\/)[^?]*/, '$1<token>') : request.url;
    logger.error({ err, url }, 'unhandled error');
    void reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the server log' } });
  };
}

/**
 * What to do about a failed validation: a body that is not a JSON object at all (none sent, or
 * sent as text) gets the fix spelled out; every other failure points to the schemas.
 */
function validationHint(err: FastifyError, request: FastifyRequest): string {
  const wholeBody = err.validationContext === 'body' && err.validation?.some((v) => v.instancePath === '' && v.keyword === 'type');
  if (!wholeBody) return '; the request schemas are in GET /openapi.json';
  const type = request.headers['content-type'];
  const sent = type === undefined ? 'no content-type' : `content-type ${type.split(';')[0]}`;
  return `; send a JSON object (e.g. {"input": ...} to invoke) with content-type: application/json (this request had ${sent})`;
}

/** A body whose content-type no parser takes: name what was sent and how to send JSON. */
function unsupportedMediaType(request: FastifyRequest): AirlockError {
  const type = request.headers['content-type'];
  const sent = type === undefined ? 'a body without a content-type' : `content-type ${JSON.stringify(type)}`;
  return new AirlockError(
    'UNSUPPORTED_MEDIA_TYPE',
    `this request has ${sent}; the API takes JSON: send a JSON body with the header ` +
      `content-type: application/json (with curl: -H 'content-type: application/json' -d '{"input": ...}'; ` +
      'a plain -d sends form data)',
  );
}
