// How large a request body a route takes, and the refusal of a larger one. A deploy's limit
// follows the largest source, a bundle's (AIRLOCK_MAX_BUNDLE_BYTES; the service then holds a
// source that is not a bundle to AIRLOCK_MAX_SOURCE_BYTES), a webhook delivery's is
// AIRLOCK_WEBHOOK_BODY_BYTES, and every other route's is the server's, which follows the input
// limit (AIRLOCK_MAX_INPUT_BYTES: twice it, since the input is measured as compact UTF-8 JSON and
// the body as sent). Each refusal names only its own setting.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import { INPUT_ENVELOPE_BYTES, maxLimitEnv } from '../core/limits.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route's body holds when it is not a JSON request with an input (the default). */
    bodyHolds?: 'source' | 'delivery';
  }
}

/** Room for the rest of a deploy request (limits, egress policy) next to its source, bytes. */
const DEPLOY_ENVELOPE_BYTES = 64 * 1024;

/**
 * A deploy's body limit: twice the largest source (a bundle's, which is never below the source
 * limit), since the source travels as a JSON string in which escaping can double it (every
 * quote, backslash or newline takes two bytes), plus room for the rest of the request.
 */
export function deployBodyLimit(config: Pick<Config, 'maxBundleBytes'>): number {
  return config.maxBundleBytes * 2 + DEPLOY_ENVELOPE_BYTES;
}

/** The refusal of a body above its route's limit. */
export function bodyTooLarge(request: FastifyRequest, config: Config): AirlockError {
  const limit = request.routeOptions.bodyLimit;
  switch (request.routeOptions.config.bodyHolds) {
    case 'source':
      return sourceTooLarge(config, limit, sizeText(request, limit));
    case 'delivery':
      return deliveryTooLarge(limit);
    default:
      return inputTooLarge(config, limit, sizeText(request, limit));
  }
}

/** The route's limit, and the body's size when the request says. */
function sizeText(request: FastifyRequest, limit: number): string {
  const sent = request.headers['content-length'];
  return sent === undefined ? `${limit} bytes` : `${limit} bytes; this one has ${sent}`;
}

/** Even a bundle this large would be refused: the largest source allowed is a bundle's. */
function sourceTooLarge(config: Config, limit: number, size: string): AirlockError {
  const { maxSourceBytes, maxBundleBytes } = config;
  return new AirlockError(
    'SOURCE_TOO_LARGE',
    `the deploy request is larger than the server accepts (${size}): a function's source may be at most ` +
      `${maxSourceBytes} bytes (AIRLOCK_MAX_SOURCE_BYTES), a bundle's ("bundle": true) at most ${maxBundleBytes} bytes ` +
      '(AIRLOCK_MAX_BUNDLE_BYTES), and a deploy request may be about twice the larger because JSON escaping can ' +
      'double the source; send a smaller source (minify it, or bundle fewer dependencies), or ask the operator to ' +
      'raise AIRLOCK_MAX_BUNDLE_BYTES (and AIRLOCK_MAX_SOURCE_BYTES for a source that is not a bundle)',
    { limit, maxSourceBytes, maxBundleBytes },
  );
}

function deliveryTooLarge(limit: number): AirlockError {
  return new AirlockError(
    'INPUT_TOO_LARGE',
    `the delivery body is larger than ${limit} bytes and was not stored; send less or ask the operator to raise AIRLOCK_WEBHOOK_BODY_BYTES`,
  );
}

function inputTooLarge(config: Config, limit: number, size: string): AirlockError {
  const maxInput = config.maxLimits.inputBytes;
  const setting = maxLimitEnv('inputBytes');
  return new AirlockError(
    'INPUT_TOO_LARGE',
    `the request body is larger than the server accepts (${size}): the largest input is ${maxInput} bytes ` +
      `(${setting}) as compact UTF-8 JSON, and a body may be about twice that (${limit - INPUT_ENVELOPE_BYTES} bytes, ` +
      `plus ${INPUT_ENVELOPE_BYTES} for the rest of the request) since escapes and whitespace make the same input ` +
      'longer; send a smaller input, written as compact UTF-8 JSON (Python: json.dumps(body, ensure_ascii=False, ' +
      `separators=(",", ":"))), or ask the operator to raise ${setting}`,
    { limit, maxInputBytes: maxInput },
  );
}
