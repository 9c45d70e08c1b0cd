// The JSON body parser: Fastify's own, prototype-poisoning guard included (a key named __proto__,
// or a constructor key holding prototype, is refused), with refusals that say which problem the
// body had (Fastify's parser answers both with the same "Body is not valid JSON"). An empty body
// is no body; bytes that are not UTF-8 are refused (not read as U+FFFD); text/plain is not taken
// at all, nor is a body with a content-encoding (415).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AirlockError } from '../core/errors.js';
import { noteBodyBytes } from './body-budget.js';

type Done = (err: Error | null, body?: unknown) => void;
/** Fastify's default JSON parser is the callback form of FastifyBodyParser<string>. */
type JsonParser = (request: FastifyRequest, body: string, done: Done) => void;

/** Refuses bytes that are not UTF-8, rather than reading them as U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const POISONING_REFUSAL =
  'request bodies may not contain a key named "__proto__", or a "constructor" key holding a "prototype" key ' +
  '(they could change objects on the server); rename those keys';

export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error') as JsonParser;
  // JSON is the only body the API takes: text/plain is refused like any other type (415).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    // An empty body is no body, whatever its content-type says (curl -X DELETE -H 'content-type: …').
    if ((raw as Buffer).length === 0) return done(null, undefined);
    noteBodyBytes(request, (raw as Buffer).length);
    const coding = contentCoding(request.headers['content-encoding']);
    if (coding !== undefined) return done(compressedBody(coding));
    let body: string;
    try {
      body = utf8.decode(raw as Buffer);
    } catch {
      return done(new AirlockError('BAD_REQUEST', 'request body is not valid UTF-8; JSON must be sent as UTF-8 (re-encode the text, or escape the characters as \\uXXXX)'));
    }
    parse(request, body, (err, value) => done(err === null ? null : explain(err, body), value));
  });
}

/**
 * The body's content coding when it has one: the bytes were read as they came, so a compressed
 * body would be read as garbage, and a plain one labelled compressed would be taken as it is
 * (read differently by anything in front that decodes it). Webhook deliveries are decoded; the
 * API's JSON bodies are not.
 */
function contentCoding(header: string | undefined): string | undefined {
  const coding = header?.trim().toLowerCase() ?? '';
  return coding === '' || coding === 'identity' ? undefined : coding;
}

function compressedBody(coding: string): AirlockError {
  const shown = /^[a-z0-9 ,_-]{1,40}$/.test(coding) ? `"${coding}"` : 'one';
  return new AirlockError(
    'UNSUPPORTED_MEDIA_TYPE',
    `the API does not take compressed request bodies (this one has the content-encoding ${shown}); ` +
      'send the JSON uncompressed, without a content-encoding header',
  );
}

/** The refusal for a body Fastify's parser refused: invalid JSON (and where), or a poisoning key. */
function explain(err: Error, body: string): Error {
  if ((err as Error & { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return err;
  try {
    JSON.parse(body);
  } catch (syntax) {
    return new AirlockError(
      'BAD_REQUEST',
      `request body is not valid JSON (${syntaxProblem(syntax as Error)}); send a JSON object, e.g. {"input": ...}`,
    );
  }
  // Valid JSON that the parser refused: only its prototype-poisoning guard does that.
  return new AirlockError('VALIDATION_FAILED', POISONING_REFUSAL);
}

/**
 * What JSON.parse found wrong, with where when it says ("... in JSON at position 18"). Its
 * messages that quote the body (`Unexpected token 'x', "..." is not valid JSON`) are not
 * repeated: the body may be a secret's value.
 */
function syntaxProblem(err: Error): string {
  return err.message.includes('"') ? 'an unexpected character' : err.message;
}
