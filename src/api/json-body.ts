// The JSON body parser: UTF-8 only (other bytes are refused, not read as U+FFFD), parsed with a
// prototype-poisoning guard (a key named __proto__, or a constructor key holding prototype, is
// refused), with refusals that say which problem the body had (core/json-text.ts). An empty body is
// no body; text/plain is not taken at all, nor is a body with a content-encoding (415). Routes
// that carry a function input parse large bodies on a thread of their own (registerInputBodyParser).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AirlockError } from '../core/errors.js';
import { serializedInputOf } from '../core/json-thread/split.js';
import { noteBodyBytes } from './body-budget.js';
import { decodeJsonBytes, parseJsonText } from '../core/json-text.js';
import type { InputBodyParser, ParsedInputBody } from '../core/json-thread/parser.js';

export function registerJsonBodyParser(app: FastifyInstance): void {
  // JSON is the only body the API takes: text/plain is refused like any other type (415).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    try {
      done(null, parseHere(bodyBytesToParse(request, raw as Buffer)));
    } catch (err) {
      done(err as Error);
    }
  });
}

/**
 * In `scope` (routes whose body is `{"input": …, …}`: invoke, job submission; or `{"inputs": […], …}`: invoke-batch), a JSON
 * body of `minBytes` or more is read, parsed, checked and its input (or each of its inputs) serialized by `parser`, off the event loop: a large input used
 * to hold the server's thread for tens of ms, during which no other tenant's call was served.
 * The route gets the body with its input as a SerializedInput (see core/json.ts); smaller bodies
 * are parsed here, as everywhere else. Both ways refuse a body with the same codes and words.
 */
export function registerInputBodyParser(scope: FastifyInstance, parser: InputBodyParser, minBytes: number, onOffThread: () => void): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    let bytes: Buffer | undefined;
    try {
      bytes = bodyBytesToParse(request, raw as Buffer);
      if (bytes === undefined || bytes.length < minBytes) return done(null, parseHere(bytes));
    } catch (err) {
      return done(err as Error);
    }
    // Routes without a tenant (none take inputs today) would share one turn.
    const tenant = (request.params as { tenant?: unknown } | undefined)?.tenant;
    parser.parse(bytes, typeof tenant === 'string' ? tenant : '').then(
      (parsed) => {
        onOffThread();
        done(null, bodyFrom(parsed));
      },
      (err: Error) => {
        onOffThread();
        done(err);
      },
    );
  });
}

/** The body the route validates: the parser's stand-in for a body that is not an object, or the object with its input. */
function bodyFrom(parsed: ParsedInputBody): unknown {
  if (parsed.kind === 'other') return parsed.standIn;
  const body: Record<string, unknown> = parsed.rest;
  if (parsed.input !== undefined) body.input = serializedInputOf(parsed.input);
  if (parsed.inputs !== undefined) body.inputs = parsed.inputs.map(serializedInputOf);
  return body;
}

/** A body's value parsed on the event loop (undefined for no body); throws its refusal. */
function parseHere(bytes: Buffer | undefined): unknown {
  return bytes === undefined ? undefined : parseJsonText(decodeJsonBytes(bytes));
}

/**
 * What every JSON body goes through before it is parsed: undefined for an empty body (no body,
 * whatever its content-type says: curl -X DELETE -H 'content-type: …'); the bytes counted
 * against the body budget; a body with a content-encoding refused (415).
 */
function bodyBytesToParse(request: FastifyRequest, raw: Buffer): Buffer | undefined {
  if (raw.length === 0) return undefined;
  noteBodyBytes(request, raw.length);
  const coding = contentCoding(request.headers['content-encoding']);
  if (coding !== undefined) throw compressedBody(coding);
  return raw;
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
